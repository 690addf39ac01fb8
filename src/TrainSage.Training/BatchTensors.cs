using TrainSage.Data.Sampling;
using TrainSage.Torch;

namespace TrainSage.Training;

/// <summary>Turns rows of a token batch into int64 (input, target) tensors on a device.</summary>
public static class BatchTensors
{
    public static (Tensor Inputs, Tensor Targets) Rows(TokenBatch batch, int firstRow, int rows, Device device)
    {
        var span = new Range(firstRow * batch.SeqLen, (firstRow + rows) * batch.SeqLen);
        return (ToTensor(batch.Inputs.AsSpan(span), rows, batch.SeqLen, device), ToTensor(batch.Targets.AsSpan(span), rows, batch.SeqLen, device));
    }

    private static Tensor ToTensor(ReadOnlySpan<int> tokens, int rows, int seqLen, Device device)
    {
        var ids = new long[tokens.Length];
        for (var i = 0; i < ids.Length; i++) ids[i] = tokens[i];
        using var cpu = torch.tensor(ids, rows, seqLen);
        return device.IsCuda ? cpu.to(device) : cpu.alias();
    }
}
