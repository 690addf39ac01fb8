using TrainSage.Torch.Native;
using N = TrainSage.Torch.Native.NativeMethods;

namespace TrainSage.Torch;

public static partial class torch
{
    public static partial class nn
    {
        public static class utils
        {
            /// <summary>
            /// Scales gradients so their global L2 norm is at most <paramref name="max_norm"/>; returns the norm before
            /// clipping (NaN or infinity when a gradient is not finite, in which case nothing is scaled).
            /// </summary>
            public static unsafe double clip_grad_norm_(IReadOnlyList<Tensor> parameters, double max_norm)
            {
                using var handles = new HandleArray(parameters);
                fixed (IntPtr* p = handles.Pointers)
                {
                    var norm = N.ts_clip_grad_norm(p, handles.Length, max_norm);
                    if (norm == -1.0) throw N.LastError();
                    return norm;
                }
            }
        }

        /// <summary>Weight initialisers (in place, without recording gradients).</summary>
        public static class init
        {
            public static Tensor normal_(Tensor tensor, double mean = 0, double std = 1)
            {
                using var _ = no_grad();
                return tensor.normal_(mean, std);
            }

            public static Tensor uniform_(Tensor tensor, double from = 0, double to = 1)
            {
                using var _ = no_grad();
                return tensor.uniform_(from, to);
            }

            public static Tensor zeros_(Tensor tensor)
            {
                using var _ = no_grad();
                return tensor.zero_();
            }
        }
    }
}
