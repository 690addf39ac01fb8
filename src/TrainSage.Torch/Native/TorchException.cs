namespace TrainSage.Torch;

/// <summary>An error raised by libtorch or the shim; the message is libtorch's own.</summary>
public sealed class TorchException(string message) : Exception(message);
