using TrainSage.Torch.Native;
using N = TrainSage.Torch.Native.NativeMethods;

namespace TrainSage.Torch;

// Elementwise math, comparisons, reductions and matrix products, as methods and operators.
public sealed partial class Tensor
{
    public Tensor add(Tensor other, double alpha = 1) => new(N.ts_add(Handle, other.Handle, alpha));
    public Tensor sub(Tensor other, double alpha = 1) => new(N.ts_sub(Handle, other.Handle, alpha));
    public Tensor mul(Tensor other) => new(N.ts_mul(Handle, other.Handle));
    public Tensor div(Tensor other) => new(N.ts_div(Handle, other.Handle));
    public Tensor pow(Tensor exponent) => new(N.ts_pow(Handle, exponent.Handle));
    public Tensor pow(double exponent) => new(N.ts_pow_scalar(Handle, exponent));
    public Tensor maximum(Tensor other) => new(N.ts_maximum(Handle, other.Handle));
    public Tensor minimum(Tensor other) => new(N.ts_minimum(Handle, other.Handle));

    public Tensor neg() => new(N.ts_neg(Handle));
    public Tensor exp() => new(N.ts_exp(Handle));
    public Tensor log() => new(N.ts_log(Handle));
    public Tensor sqrt() => new(N.ts_sqrt(Handle));
    public Tensor rsqrt() => new(N.ts_rsqrt(Handle));
    public Tensor tanh() => new(N.ts_tanh(Handle));
    public Tensor sigmoid() => new(N.ts_sigmoid(Handle));
    public Tensor sin() => new(N.ts_sin(Handle));
    public Tensor cos() => new(N.ts_cos(Handle));
    public Tensor abs() => new(N.ts_abs(Handle));
    public Tensor round() => new(N.ts_round(Handle));
    public Tensor sign() => new(N.ts_sign(Handle));
    public Tensor isfinite() => new(N.ts_isfinite(Handle));
    public Tensor logical_not() => new(N.ts_logical_not(Handle));

    public Tensor clamp(double? min = null, double? max = null) =>
        new(N.ts_clamp(Handle, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0));

    private enum Comparison { Eq, Ne, Lt, Le, Gt, Ge }

    public Tensor eq(Tensor other) => new(N.ts_compare(Handle, other.Handle, (int)Comparison.Eq));
    public Tensor ne(Tensor other) => new(N.ts_compare(Handle, other.Handle, (int)Comparison.Ne));
    public Tensor lt(Tensor other) => new(N.ts_compare(Handle, other.Handle, (int)Comparison.Lt));
    public Tensor le(Tensor other) => new(N.ts_compare(Handle, other.Handle, (int)Comparison.Le));
    public Tensor gt(Tensor other) => new(N.ts_compare(Handle, other.Handle, (int)Comparison.Gt));
    public Tensor ge(Tensor other) => new(N.ts_compare(Handle, other.Handle, (int)Comparison.Ge));
    public Tensor eq(double value) => new(N.ts_compare_scalar(Handle, value, (int)Comparison.Eq));
    public Tensor ne(double value) => new(N.ts_compare_scalar(Handle, value, (int)Comparison.Ne));
    public Tensor lt(double value) => new(N.ts_compare_scalar(Handle, value, (int)Comparison.Lt));
    public Tensor le(double value) => new(N.ts_compare_scalar(Handle, value, (int)Comparison.Le));
    public Tensor gt(double value) => new(N.ts_compare_scalar(Handle, value, (int)Comparison.Gt));
    public Tensor ge(double value) => new(N.ts_compare_scalar(Handle, value, (int)Comparison.Ge));

    public Tensor masked_fill(Tensor mask, double value) => new(N.ts_masked_fill(Handle, mask.Handle, value));
    public Tensor triu(long diagonal = 0) => new(N.ts_triu(Handle, diagonal));
    public Tensor tril(long diagonal = 0) => new(N.ts_tril(Handle, diagonal));

    public bool allclose(Tensor other, double rtol = 1e-5, double atol = 1e-8)
    {
        var result = N.ts_allclose(Handle, other.Handle, rtol, atol);
        N.Check(result);
        return result == 1;
    }

    // ---- reductions -------------------------------------------------------------------------------------------
    public Tensor sum() => new(N.ts_sum_all(Handle));
    public Tensor mean() => new(N.ts_mean_all(Handle));
    public Tensor amax() => new(N.ts_amax_all(Handle));
    public Tensor amin() => new(N.ts_amin_all(Handle));
    public unsafe Tensor sum(long[] dims, bool keepdim = false) { fixed (long* p = dims) return new(N.ts_sum(Handle, p, dims.Length, keepdim ? 1 : 0)); }
    public unsafe Tensor mean(long[] dims, bool keepdim = false) { fixed (long* p = dims) return new(N.ts_mean(Handle, p, dims.Length, keepdim ? 1 : 0)); }
    public unsafe Tensor amax(long[] dims, bool keepdim = false) { fixed (long* p = dims) return new(N.ts_amax(Handle, p, dims.Length, keepdim ? 1 : 0)); }
    public Tensor sum(long dim, bool keepdim = false) => sum([dim], keepdim);
    public Tensor mean(long dim, bool keepdim = false) => mean([dim], keepdim);
    public Tensor amax(long dim, bool keepdim = false) => amax([dim], keepdim);
    public Tensor argmax(long dim, bool keepdim = false) => new(N.ts_argmax(Handle, dim, keepdim ? 1 : 0));
    public Tensor norm(double p = 2) => new(N.ts_norm(Handle, p));

    // ---- matrix products --------------------------------------------------------------------------------------
    public Tensor matmul(Tensor other) => new(N.ts_matmul(Handle, other.Handle));
    public Tensor bmm(Tensor other) => new(N.ts_bmm(Handle, other.Handle));

    // ---- operators --------------------------------------------------------------------------------------------
    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
    public static Tensor operator -(Tensor a) => a.neg();
    public static Tensor operator +(Tensor a, double s) => new(N.ts_add_scalar(a.Handle, s));
    public static Tensor operator +(double s, Tensor a) => new(N.ts_add_scalar(a.Handle, s));
    public static Tensor operator -(Tensor a, double s) => new(N.ts_add_scalar(a.Handle, -s));
    public static Tensor operator -(double s, Tensor a) => new(N.ts_rsub_scalar(a.Handle, s));
    public static Tensor operator *(Tensor a, double s) => new(N.ts_mul_scalar(a.Handle, s));
    public static Tensor operator *(double s, Tensor a) => new(N.ts_mul_scalar(a.Handle, s));
    public static Tensor operator /(Tensor a, double s) => new(N.ts_div_scalar(a.Handle, s));
    public static Tensor operator /(double s, Tensor a) => new(N.ts_rdiv_scalar(a.Handle, s));
}
