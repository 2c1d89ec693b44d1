/* generated from chapters/01-tensors/01-tensors.md by tools/tangle.lua; edit the chapter, not this file */
#line 20 "chapters/01-tensors/01-tensors.md"
// 01-tensors — tutorial §2 (tensors, dtypes, common operations) and the tensor sections of the
// companion tutorials: creation, shapes, arithmetic, broadcasting, reductions, indexing, printing.
#include "torchlet.h"
#include <stdio.h>

int main(int argc, char **argv) {
    tl_lab_begin(argc, argv);
#line 47 "chapters/01-tensors/01-tensors.md"
    TL_CELL("tensors of rank 0 to 3");
    tl_tensor *tensor0d = tl_tensor_parse("1");                  // a scalar
    tl_tensor *tensor1d = tl_tensor_parse("[1, 2, 3]");          // a vector
    tl_tensor *tensor2d = tl_tensor_parse("[[1, 2], [3, 4]]");   // a matrix
    tl_tensor *tensor3d = tl_tensor_parse("[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]");
    tl_print(tensor0d);
    puts(tl_shape_str(tensor0d));
    puts(tl_shape_str(tensor1d));
    puts(tl_shape_str(tensor2d));
    puts(tl_shape_str(tensor3d));
    tl_print(tensor3d);
#line 85 "chapters/01-tensors/01-tensors.md"
    TL_CELL("the dtype of an integer tensor");
    tensor1d = tl_tensor_parse("[1, 2, 3]");
    puts(tl_dtype_name(tensor1d->dtype));
#line 97 "chapters/01-tensors/01-tensors.md"
    TL_CELL("the dtype of a float tensor");
    tl_tensor *floatvec = tl_tensor_parse("[1.0, 2.0, 3.0]");
    puts(tl_dtype_name(floatvec->dtype));
#line 111 "chapters/01-tensors/01-tensors.md"
    TL_CELL("converting with .to");
    floatvec = tl_to_dtype(tensor1d, TL_FLOAT32);
    puts(tl_dtype_name(floatvec->dtype));
#line 125 "chapters/01-tensors/01-tensors.md"
    TL_CELL("float64 shows its dtype");
    tl_tensor *doubles = tl_tensor_parse_dtype("[[1., 2.], [3., 4.]]", TL_FLOAT64);
    tl_print(doubles);
    tl_print(tl_zeros_like(doubles));                       // *_like keeps the dtype
    tl_print(tl_to_dtype(tl_tensor_parse("[1, 2, 3]"), TL_FLOAT32));
#line 145 "chapters/01-tensors/01-tensors.md"
    TL_CELL("a 2 x 3 tensor");
    tensor2d = tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]");
    tl_print(tensor2d);
#line 158 "chapters/01-tensors/01-tensors.md"
    TL_CELL("its shape");
    puts(tl_shape_str(tensor2d));
#line 170 "chapters/01-tensors/01-tensors.md"
    TL_CELL("reshape to 3 x 2");
    tl_print(tl_reshape(tensor2d, TL_SHAPE(3, 2)));
#line 184 "chapters/01-tensors/01-tensors.md"
    TL_CELL("view as 3 x 2");
    tl_print(tl_view(tensor2d, TL_SHAPE(3, 2)));
#line 198 "chapters/01-tensors/01-tensors.md"
    TL_CELL("transpose with .T");
    tl_print(tl_T(tensor2d));
#line 213 "chapters/01-tensors/01-tensors.md"
    TL_CELL("view refuses what reshape copies");
    tl_print(tl_view(tl_T(tensor2d), TL_SHAPE(6)));
    tl_print(tl_reshape(tl_T(tensor2d), TL_SHAPE(6)));
#line 231 "chapters/01-tensors/01-tensors.md"
    TL_CELL("matrix product");
    tl_print(tl_matmul(tensor2d, tl_T(tensor2d)));
#line 2659 "chapters/01-tensors/01-tensors.md"
    TL_CELL("broadcasting a row and a column over a matrix");
    tl_tensor *grid = tl_tensor_parse("[[1., 2., 3.], [4., 5., 6.]]");
    tl_print(tl_mul(grid, tl_tensor_parse("[1., 10., 100.]")));     // (2, 3) * (3,)
    tl_print(tl_sub(grid, tl_mean_dim(grid, 1, true)));              // (2, 3) - (2, 1)
#line 3501 "chapters/01-tensors/01-tensors.md"
    TL_CELL("type promotion");
    tl_tensor *ints = tl_tensor_parse("[1, 2, 3]");
    puts(tl_dtype_name(tl_mul_scalar(ints, 2)->dtype));             // int64 * 2
    puts(tl_dtype_name(tl_mul_scalar(ints, 2.5)->dtype));           // int64 * 2.5
    puts(tl_dtype_name(tl_div(ints, ints)->dtype));                 // true division
    puts(tl_dtype_name(tl_add(tl_tensor_parse("[1., 2.]"),          // float32 + float64 0-d
                              tl_tensor_parse_dtype("1.", TL_FLOAT64))->dtype));
    puts(tl_dtype_name(tl_add(ints, tl_tensor_parse_dtype("[1., 2., 3.]", TL_FLOAT64))->dtype));
    tl_print(tl_mul_scalar(ints, 2.5));
#line 4162 "chapters/01-tensors/01-tensors.md"
    TL_CELL("mean needs floating point, sum counts");
    tl_tensor *counts = tl_tensor_parse("[1, 2, 3]");
    tl_print(tl_mean(counts));
    tl_print(tl_mean(tl_to_dtype(counts, TL_FLOAT32)));
    tl_print(tl_sum(tl_tensor_parse("[True, False, True]")));
#line 4620 "chapters/01-tensors/01-tensors.md"
    TL_CELL("what @ does with each shape");
    tl_tensor *vec3 = tl_tensor_parse("[1., 2., 3.]");
    tl_tensor *mat23 = tl_tensor_parse("[[1., 0., 1.], [0., 1., 0.]]");
    tl_print(tl_matmul(vec3, vec3));                                   // (3) @ (3) -> 0-d
    tl_print(tl_matmul(mat23, vec3));                                  // (2, 3) @ (3) -> (2)
    puts(tl_shape_str(tl_matmul(tl_ones(TL_SHAPE(10, 2, 3), TL_FLOAT32), tl_T(mat23))));
    tl_print(tl_matmul(mat23, mat23));                                 // (2, 3) @ (2, 3)
    tl_print(tl_matmul(tl_tensor_parse("[[1, 2]]"), tl_tensor_parse("[[1.], [2.]]")));   // int64 @ float32
#line 5551 "chapters/01-tensors/01-tensors.md"
    TL_CELL("shape, dtype and device");
    tl_tensor *basic = tl_tensor_parse("[1., 2., 3.]");
    tl_print(basic);
    puts(tl_shape_str(basic));
    puts(tl_dtype_name(basic->dtype));
    puts(tl_device_str(basic));
    tl_print(tl_add_scalar(tl_mul_scalar(basic, 2), 1));       // x * 2 + 1
#line 5572 "chapters/01-tensors/01-tensors.md"
    TL_CELL("a float matrix and its attributes");
    tl_tensor *x22 = tl_tensor_parse("[[1., 2.], [3., 4.]]");
    tl_print(x22);
    puts(tl_shape_str(x22));
    puts(tl_dtype_name(x22->dtype));
    puts(tl_device_str(x22));
    tl_print(tl_mul(x22, tl_tensor_parse("[[5., 6.], [7., 8.]]")));
#line 5597 "chapters/01-tensors/01-tensors.md"
    TL_CELL("adding two vectors");
    tl_tensor *tensor_1 = tl_tensor_parse("[1., 2., 3.]");
    tl_tensor *tensor_2 = tl_tensor_parse("[4., 5., 6.]");
    tl_print(tl_add(tensor_1, tensor_2));
#line 5610 "chapters/01-tensors/01-tensors.md"
    TL_CELL("making tensors");
    tl_print(tl_tensor_parse("[1, 2, 3, 4]"));
    tl_print(tl_zeros(TL_SHAPE(3, 4), TL_FLOAT32));
    tl_print(tl_arange(0, 10, 2));
    tl_print(tl_linspace(0, 1, 5));
    tl_print(tl_eye(3));
    tl_print(tl_full(TL_SHAPE(2, 3), 7, TL_FLOAT32));
#line 5640 "chapters/01-tensors/01-tensors.md"
    TL_CELL("changing shapes");
    tl_tensor *x = tl_to_dtype(tl_arange(0, 12, 1), TL_FLOAT32);
    tl_print(x);
    tl_tensor *x34 = tl_reshape(x, TL_SHAPE(3, 4));
    tl_print(x34);
    puts(tl_shape_str(tl_reshape(x, TL_SHAPE(2, -1))));
    puts(tl_shape_str(tl_unsqueeze(x34, 0)));
    puts(tl_shape_str(tl_squeeze(tl_unsqueeze(x34, 0), 0)));
    tl_print(tl_transpose(x34, 0, 1));
    puts(tl_shape_str(tl_permute(tl_zeros(TL_SHAPE(2, 3, 4), TL_FLOAT32), TL_DIMS(0, 2, 1))));
    tl_tensor *p = tl_ones(TL_SHAPE(2, 3), TL_FLOAT32), *q = tl_zeros(TL_SHAPE(2, 3), TL_FLOAT32);
    puts(tl_shape_str(tl_cat(TL_LIST(p, q), 0)));
    puts(tl_shape_str(tl_cat(TL_LIST(p, q), 1)));
    puts(tl_shape_str(tl_stack(TL_LIST(p, q), 0)));
#line 5677 "chapters/01-tensors/01-tensors.md"
    TL_CELL("element-wise arithmetic");
    tl_tensor *a = tl_tensor_parse("[[1., 2.], [3., 4.]]");
    tl_tensor *b = tl_tensor_parse("[[5., 6.], [7., 8.]]");
    tl_print(tl_add(a, b));
    tl_print(tl_mul(a, b));
    tl_print(tl_div(a, b));
    tl_print(tl_pow_scalar(a, 2));
    tl_print(tl_matmul(a, b));
#line 5704 "chapters/01-tensors/01-tensors.md"
    TL_CELL("broadcasting");
    tl_print(tl_add(tl_tensor_parse("[[1], [2], [3]]"), tl_tensor_parse("[10, 20, 30]")));
    tl_print(tl_add(tl_ones(TL_SHAPE(2, 3), TL_FLOAT32), tl_ones(TL_SHAPE(2), TL_FLOAT32)));
#line 5719 "chapters/01-tensors/01-tensors.md"
    TL_CELL("batched matrix product");
    tl_tensor *batch = tl_bmm(tl_ones(TL_SHAPE(4, 3, 2), TL_FLOAT32), tl_ones(TL_SHAPE(4, 2, 5), TL_FLOAT32));
    puts(tl_shape_str(batch));
#line 5735 "chapters/01-tensors/01-tensors.md"
    TL_CELL("reductions");
    tl_tensor *v = tl_tensor_parse("[1., 2., 3., 4., 5.]");
    printf("sum: %s\n", tl_float_repr(tl_item(tl_sum(v))));
    printf("mean: %s\n", tl_float_repr(tl_item(tl_mean(v))));
    printf("std: %s\n", tl_float_repr(tl_item(tl_std(v))));
    printf("max: %s\n", tl_float_repr(tl_item(tl_max(v))));
    printf("min: %s\n", tl_float_repr(tl_item(tl_min(v))));
    printf("argmax: %lld\n", (long long)tl_item(tl_argmax(v)));
#line 5758 "chapters/01-tensors/01-tensors.md"
    TL_CELL("reductions along a dimension");
    tl_tensor *m = tl_tensor_parse("[[1., 2., 3.], [4., 5., 6.]]");
    tl_print(tl_sum_dim(m, 0, false));
    tl_print(tl_sum_dim(m, 1, false));
    tl_tensor *argmax_rows;
    tl_print(tl_max_dim(m, 1, false, &argmax_rows));
    tl_print(argmax_rows);
#line 5777 "chapters/01-tensors/01-tensors.md"
    TL_CELL("indexing and slicing");
    tl_tensor *g = tl_to_dtype(tl_reshape(tl_arange(0, 20, 1), TL_SHAPE(4, 5)), TL_FLOAT32);
    tl_print(tl_index(g, 0));                                                // x[0]
    printf("%s\n", tl_float_repr(tl_item(tl_index(tl_index(g, 0), 0))));    // x[0, 0].item()
    tl_print(tl_index(g, -1));                                               // x[-1]
    tl_print(tl_slice(tl_slice(g, 0, 1, 3, 1), 1, 2, 4, 1));                 // x[1:3, 2:4]
    tl_print(tl_masked_select(g, tl_gt_scalar(g, 10)));                      // x[x > 10]
    tl_print(tl_index_select(g, 0, tl_tensor_parse("[0, 2, 3]")));          // x[[0, 2, 3]]
    tl_print(tl_where(tl_gt_scalar(g, 10), g, tl_scalar(0, TL_FLOAT32)));    // torch.where(x > 10, x, 0)
#line 5810 "chapters/01-tensors/01-tensors.md"
    TL_CELL("printing big tensors and small numbers");
    tl_tensor *big = tl_div_scalar(tl_reshape(tl_arange(0, 1500, 1), TL_SHAPE(30, 50)), 7);
    tl_print(big);
    tl_print(tl_tensor_parse("[1e-5, 1.0, 123.456]"));
    tl_set_printoptions((tl_printoptions){ .precision = 2, .threshold = 1000, .edgeitems = 3,
                                           .linewidth = 80, .sci_mode = -1 });
    tl_print(tl_tensor_parse("[3.14159, 2.71828]"));
    tl_set_printoptions(TL_PRINTOPTIONS_DEFAULT);
    tl_print(tl_tensor_parse("[0.9991, 0.0009]"));
    tl_set_printoptions((tl_printoptions){ .precision = 4, .threshold = 1000, .edgeitems = 3,
                                           .linewidth = 80, .sci_mode = 0 });
    tl_print(tl_tensor_parse("[0.9991, 0.0009]"));
    tl_set_printoptions(TL_PRINTOPTIONS_DEFAULT);
#line 28 "chapters/01-tensors/01-tensors.md"
    return tl_lab_end();
}
