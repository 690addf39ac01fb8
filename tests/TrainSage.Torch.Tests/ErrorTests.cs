namespace TrainSage.Torch.Tests;

/// <summary>Bad calls raise .NET exceptions that name the problem, and the process carries on.</summary>
public class ErrorTests
{
    [Fact]
    public void Shape_mismatch()
    {
        using var scope = torch.NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => torch.ones([2, 3]).matmul(torch.ones([2, 3])));
        Assert.Contains("2x3", ex.Message);
        Assert.Equal(6, torch.ones([2, 3]).sum().item()); // the next op works
    }

    [Fact]
    public void Wrong_dtype()
    {
        using var scope = torch.NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => torch.ones([3]).index_select(0, torch.tensor(new[] { 0.5f })));
        Assert.Contains("index", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<ArgumentException>(() => torch.ones([3]).AsSpan<long>());
        Assert.Equal(3, torch.ones([3]).sum().item());
    }

    [Fact]
    public void Wrong_device()
    {
        using var scope = torch.NewDisposeScope();
        if (torch.cuda.is_available())
        {
            var ex = Assert.Throws<TorchException>(() => torch.ones([2]) + torch.ones([2], device: Device.CUDA()));
            Assert.Contains("device", ex.Message);
        }
        else
        {
            var ex = Assert.Throws<TorchException>(() => torch.ones([2], device: Device.CUDA()));
            Assert.Contains("CUDA", ex.Message);
        }
        Assert.Equal(2, torch.ones([2]).sum().item());
    }

    [Fact]
    public void Use_after_dispose()
    {
        var t = torch.ones([2]);
        t.Dispose();
        var ex = Assert.Throws<ObjectDisposedException>(() => t.sum());
        Assert.Contains("disposed", ex.Message);
        Assert.Equal("Tensor(disposed)", t.ToString());
        using var fresh = torch.ones([2]);
        Assert.Equal(2, fresh.sum().item());
    }

    [Fact]
    public void Bad_shapes_given_from_dotnet()
    {
        var ex = Assert.Throws<ArgumentException>(() => torch.tensor(new[] { 1f, 2f, 3f }, 2, 2));
        Assert.Contains("4 elements", ex.Message);
        Assert.Throws<FormatException>(() => Device.Parse("gpu7"));
    }
}
