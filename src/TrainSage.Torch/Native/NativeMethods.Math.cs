using System.Runtime.InteropServices;
using H = TrainSage.Torch.Native.TensorHandle;

namespace TrainSage.Torch.Native;

// native/core/math.cpp, shape.cpp, nn.cpp
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial IntPtr ts_add(H a, H b, double alpha);
    [LibraryImport(Lib)] internal static partial IntPtr ts_sub(H a, H b, double alpha);
    [LibraryImport(Lib)] internal static partial IntPtr ts_mul(H a, H b);
    [LibraryImport(Lib)] internal static partial IntPtr ts_div(H a, H b);
    [LibraryImport(Lib)] internal static partial IntPtr ts_pow(H a, H b);
    [LibraryImport(Lib)] internal static partial IntPtr ts_maximum(H a, H b);
    [LibraryImport(Lib)] internal static partial IntPtr ts_minimum(H a, H b);
    [LibraryImport(Lib)] internal static partial IntPtr ts_add_scalar(H a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr ts_mul_scalar(H a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr ts_div_scalar(H a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr ts_pow_scalar(H a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr ts_rsub_scalar(H a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr ts_rdiv_scalar(H a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr ts_neg(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_exp(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_log(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_sqrt(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_rsqrt(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_tanh(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_sigmoid(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_sin(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_cos(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_abs(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_round(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_sign(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_isfinite(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_logical_not(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_clamp(H a, double min, double max, int hasMin, int hasMax);
    [LibraryImport(Lib)] internal static partial IntPtr ts_compare(H a, H b, int op);
    [LibraryImport(Lib)] internal static partial IntPtr ts_compare_scalar(H a, double s, int op);
    [LibraryImport(Lib)] internal static partial IntPtr ts_where(H cond, H a, H b);
    [LibraryImport(Lib)] internal static partial IntPtr ts_masked_fill(H a, H mask, double value);
    [LibraryImport(Lib)] internal static partial IntPtr ts_triu(H a, long diagonal);
    [LibraryImport(Lib)] internal static partial IntPtr ts_tril(H a, long diagonal);
    [LibraryImport(Lib)] internal static partial int ts_allclose(H a, H b, double rtol, double atol);
    [LibraryImport(Lib)] internal static partial IntPtr ts_sum_all(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_mean_all(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_amax_all(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_amin_all(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_sum(H a, long* dims, long n, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr ts_mean(H a, long* dims, long n, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr ts_amax(H a, long* dims, long n, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr ts_argmax(H a, long dim, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr ts_norm(H a, double p);
    [LibraryImport(Lib)] internal static partial IntPtr ts_matmul(H a, H b);
    [LibraryImport(Lib)] internal static partial IntPtr ts_bmm(H a, H b);
    [LibraryImport(Lib)] internal static partial IntPtr ts_linear(H x, H w, H b);

    [LibraryImport(Lib)] internal static partial IntPtr ts_reshape(H a, long* shape, long n);
    [LibraryImport(Lib)] internal static partial IntPtr ts_view(H a, long* shape, long n);
    [LibraryImport(Lib)] internal static partial IntPtr ts_expand(H a, long* shape, long n);
    [LibraryImport(Lib)] internal static partial IntPtr ts_permute(H a, long* dims, long n);
    [LibraryImport(Lib)] internal static partial IntPtr ts_transpose(H a, long d0, long d1);
    [LibraryImport(Lib)] internal static partial IntPtr ts_unsqueeze(H a, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr ts_squeeze(H a, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr ts_flatten(H a, long start, long end);
    [LibraryImport(Lib)] internal static partial IntPtr ts_narrow(H a, long dim, long start, long length);
    [LibraryImport(Lib)] internal static partial IntPtr ts_select(H a, long dim, long index);
    [LibraryImport(Lib)] internal static partial IntPtr ts_slice(H a, long dim, long start, long end, long step);
    [LibraryImport(Lib)] internal static partial IntPtr ts_index_select(H a, long dim, H index);
    [LibraryImport(Lib)] internal static partial IntPtr ts_gather(H a, long dim, H index);
    [LibraryImport(Lib)] internal static partial IntPtr ts_cat(IntPtr* items, long n, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr ts_stack(IntPtr* items, long n, long dim);
    [LibraryImport(Lib)] internal static partial long ts_split(H a, long size, long dim, out IntPtr array);
    [LibraryImport(Lib)] internal static partial long ts_chunk(H a, long chunks, long dim, out IntPtr array);

    [LibraryImport(Lib)] internal static partial IntPtr ts_softmax(H a, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr ts_log_softmax(H a, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr ts_gelu(H a, int tanhApproximation);
    [LibraryImport(Lib)] internal static partial IntPtr ts_silu(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_relu(H a);
    [LibraryImport(Lib)] internal static partial IntPtr ts_dropout(H a, double p, int train);
    [LibraryImport(Lib)] internal static partial IntPtr ts_embedding(H weight, H indices);
    [LibraryImport(Lib)] internal static partial IntPtr ts_cross_entropy(H logits, H target, long ignoreIndex, int reduction, double labelSmoothing);
    [LibraryImport(Lib)] internal static partial IntPtr ts_mse_loss(H a, H b, int reduction);
    [LibraryImport(Lib)] internal static partial IntPtr ts_layer_norm(H x, long* shape, long n, H w, H b, double eps);
    [LibraryImport(Lib)] internal static partial IntPtr ts_rms_norm(H x, H w, double eps);
    [LibraryImport(Lib)] internal static partial int ts_has_sdpa();
    [LibraryImport(Lib)] internal static partial IntPtr ts_scaled_dot_product_attention(H q, H k, H v, H mask, double dropout, int isCausal, double scale);
    [LibraryImport(Lib)] internal static partial int ts_sdpa_enable_backends(int flash, int memEfficient, int math, int cudnn);
}
