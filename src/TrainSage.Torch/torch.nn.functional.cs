using TrainSage.Torch.Native;
using N = TrainSage.Torch.Native.NativeMethods;

namespace TrainSage.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>torch.nn.functional: stateless neural-network ops.</summary>
        public static class functional
        {
            public enum Reduction { None = 0, Mean = 1, Sum = 2 }

            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null) =>
                new(N.ts_linear(input.Handle, weight.Handle, bias?.Handle ?? TensorHandle.Null));

            public static Tensor softmax(Tensor input, long dim) => new(N.ts_softmax(input.Handle, dim));
            public static Tensor log_softmax(Tensor input, long dim) => new(N.ts_log_softmax(input.Handle, dim));
            public static Tensor gelu(Tensor input, bool tanh_approximation = false) => new(N.ts_gelu(input.Handle, tanh_approximation ? 1 : 0));
            public static Tensor silu(Tensor input) => new(N.ts_silu(input.Handle));
            public static Tensor relu(Tensor input) => new(N.ts_relu(input.Handle));
            public static Tensor dropout(Tensor input, double p = 0.5, bool training = true) => new(N.ts_dropout(input.Handle, p, training ? 1 : 0));
            public static Tensor embedding(Tensor indices, Tensor weight) => new(N.ts_embedding(weight.Handle, indices.Handle));

            /// <summary>Cross entropy of logits [N, C] against class indices [N].</summary>
            public static Tensor cross_entropy(Tensor input, Tensor target, long ignore_index = -100,
                Reduction reduction = Reduction.Mean, double label_smoothing = 0) =>
                new(N.ts_cross_entropy(input.Handle, target.Handle, ignore_index, (int)reduction, label_smoothing));

            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                new(N.ts_mse_loss(input.Handle, target.Handle, (int)reduction));

            public static unsafe Tensor layer_norm(Tensor input, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
            {
                fixed (long* p = normalized_shape)
                    return new(N.ts_layer_norm(input.Handle, p, normalized_shape.Length, weight?.Handle ?? TensorHandle.Null,
                        bias?.Handle ?? TensorHandle.Null, eps));
            }

            /// <summary>RMSNorm over the last dimension, computed in fp32.</summary>
            public static Tensor rms_norm(Tensor input, Tensor? weight = null, double eps = 1e-6) =>
                new(N.ts_rms_norm(input.Handle, weight?.Handle ?? TensorHandle.Null, eps));

            /// <summary>Whether this libtorch has scaled_dot_product_attention (2.0 and newer).</summary>
            public static bool has_scaled_dot_product_attention => N.ts_has_sdpa() != 0;

            public static Tensor scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask = null,
                double dropout_p = 0, bool is_causal = false, double? scale = null) =>
                new(N.ts_scaled_dot_product_attention(query.Handle, key.Handle, value.Handle, attn_mask?.Handle ?? TensorHandle.Null,
                    dropout_p, is_causal ? 1 : 0, scale ?? 0));

            /// <summary>Which SDPA backends libtorch may choose (torch.backends.cuda.enable_*_sdp).</summary>
            public static void sdpa_enable_backends(bool flash, bool mem_efficient, bool math, bool cudnn) =>
                N.Check(N.ts_sdpa_enable_backends(flash ? 1 : 0, mem_efficient ? 1 : 0, math ? 1 : 0, cudnn ? 1 : 0));
        }
    }
}
