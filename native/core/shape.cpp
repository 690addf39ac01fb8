// Views, reshapes, joins and splits, indexing.
#include "api.h"

TS_API ts_tensor ts_reshape(ts_tensor a, const int64_t* shape, int64_t n) { TS_TENSOR(a->reshape(ts::dims(shape, n))) }
TS_API ts_tensor ts_view(ts_tensor a, const int64_t* shape, int64_t n) { TS_TENSOR(a->view(ts::dims(shape, n))) }
TS_API ts_tensor ts_expand(ts_tensor a, const int64_t* shape, int64_t n) { TS_TENSOR(a->expand(ts::dims(shape, n))) }
TS_API ts_tensor ts_permute(ts_tensor a, const int64_t* dims, int64_t n) { TS_TENSOR(a->permute(ts::dims(dims, n))) }
TS_API ts_tensor ts_transpose(ts_tensor a, int64_t d0, int64_t d1) { TS_TENSOR(a->transpose(d0, d1)) }
TS_API ts_tensor ts_unsqueeze(ts_tensor a, int64_t dim) { TS_TENSOR(a->unsqueeze(dim)) }
TS_API ts_tensor ts_squeeze(ts_tensor a, int64_t dim) { TS_TENSOR(a->squeeze(dim)) }
TS_API ts_tensor ts_flatten(ts_tensor a, int64_t start, int64_t end) { TS_TENSOR(a->flatten(start, end)) }
TS_API ts_tensor ts_narrow(ts_tensor a, int64_t dim, int64_t start, int64_t length) {
  TS_TENSOR(a->narrow(dim, start, length))
}
TS_API ts_tensor ts_select(ts_tensor a, int64_t dim, int64_t index) { TS_TENSOR(a->select(dim, index)) }
TS_API ts_tensor ts_slice(ts_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step) {
  TS_TENSOR(a->slice(dim, start, end, step))
}
TS_API ts_tensor ts_index_select(ts_tensor a, int64_t dim, ts_tensor index) { TS_TENSOR(a->index_select(dim, *index)) }
TS_API ts_tensor ts_gather(ts_tensor a, int64_t dim, ts_tensor index) { TS_TENSOR(a->gather(dim, *index)) }
TS_API ts_tensor ts_cat(const ts_tensor* items, int64_t n, int64_t dim) { TS_TENSOR(at::cat(ts::list(items, n), dim)) }
TS_API ts_tensor ts_stack(const ts_tensor* items, int64_t n, int64_t dim) { TS_TENSOR(at::stack(ts::list(items, n), dim)) }

TS_API int64_t ts_split(ts_tensor a, int64_t size, int64_t dim, ts_tensor** out) {
  try {
    return ts::wrap_list(a->split(size, dim), out);
  }
  TS_CATCH(-1)
}
TS_API int64_t ts_chunk(ts_tensor a, int64_t chunks, int64_t dim, ts_tensor** out) {
  try {
    return ts::wrap_list(a->chunk(chunks, dim), out);
  }
  TS_CATCH(-1)
}
