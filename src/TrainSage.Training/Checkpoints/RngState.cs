using TrainSage.Torch;

namespace TrainSage.Training.Checkpoints;

/// <summary>Generator states as base64 strings for trainer.json.</summary>
public static class RngState
{
    public static string Capture(Device device)
    {
        using var state = torch.random.get_rng_state(device);
        return Convert.ToBase64String(state.ToArray<byte>());
    }

    public static void Restore(Device device, string base64)
    {
        using var state = torch.tensor(Convert.FromBase64String(base64));
        torch.random.set_rng_state(state, device);
    }
}
