using TrainSage.Torch.Modules;

namespace TrainSage.Torch.Tests;

public class ModuleTests
{
    private sealed class TwoLayer : Module<Tensor, Tensor>
    {
        public readonly Linear First;
        public readonly LayerNorm Norm;
        public readonly Dropout Drop = new(0.5);

        public TwoLayer()
        {
            First = register_module("first", new Linear(4, 3));
            Norm = register_module("norm", new LayerNorm(3));
            register_module("drop", Drop);
            register_buffer("scale", torch.full([1], 2));
        }

        public override Tensor forward(Tensor input) => Drop.forward(Norm.forward(First.forward(input)));
    }

    [Fact]
    public void Names_state_dict_and_load()
    {
        using var scope = torch.NewDisposeScope();
        using var a = new TwoLayer();
        using var b = new TwoLayer();
        Assert.Equal(["first.weight", "first.bias", "norm.weight", "norm.bias"], a.named_parameters().Select(p => p.Name));
        Assert.Equal(["scale"], a.named_buffers().Select(p => p.Name));
        b.load_state_dict(a.state_dict());
        a.eval();
        b.eval();
        var x = torch.randn([2, 4]);
        Assert.True(a.forward(x).allclose(b.forward(x)));

        var bad = a.state_dict();
        bad["first.weight"] = torch.zeros([3, 5]);
        var ex = Assert.Throws<ArgumentException>(() => b.load_state_dict(bad));
        Assert.Contains("first.weight", ex.Message);
        bad.Remove("first.weight");
        Assert.Contains("missing [first.weight]", Assert.Throws<ArgumentException>(() => b.load_state_dict(bad)).Message);
    }

    [Fact]
    public void Train_and_eval_switch_dropout_and_to_changes_dtype_in_place()
    {
        using var scope = torch.NewDisposeScope();
        using var m = new TwoLayer();
        var x = torch.randn([64, 4]);
        Assert.True(m.forward(x).eq(0).sum().item() > 0);
        m.eval();
        Assert.False(m.Drop.training);
        Assert.Equal(0, m.forward(x).eq(0).sum().item());
        var handle = m.First.weight;
        m.to(ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, handle.dtype); // same handle, new data
        Assert.True(handle.requires_grad);
    }

    [Fact]
    public void Rms_norm_and_embedding_modules()
    {
        using var scope = torch.NewDisposeScope();
        using var norm = new RMSNorm(3, eps: 0);
        var y = norm.forward(torch.tensor(new[] { 3f, 0f, 4f }, 1, 3));
        var expected = 1 / Math.Sqrt(25.0 / 3);
        Assert.Equal(3 * expected, y[0, 0].item(), 5);
        using var emb = new Embedding(10, 4);
        Assert.Equal([2L, 5L, 4L], emb.forward(torch.zeros([2, 5], ScalarType.Int64)).shape);
    }
}
