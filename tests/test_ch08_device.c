// tests/test_ch08_device.c — cmocka tests of chapter 08's device plumbing that need no GPU: device
// names, the same-device rule and its message (on tensors that PRETEND to live on a GPU: the
// rule refuses them before any kernel could touch their memory), tl_to and tl_module_to where
// there is no GPU (PyTorch 1.13.1's messages), the ops that refuse GPU tensors, and the default
// device. tests/test_ch08_cuda.c holds the tests that run kernels; the one here that does (reshape's
// copy on a device) is skipped where there is no GPU, and runs on the host emulation of tests/mock/.
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "torchlet.h"

#include "fixture.h"   // setup: a pool per test, the live-tensor count kept

// tensors made to pretend they live on a GPU; put back on the CPU before they are freed, even
// when a test fails half-way (their memory must not reach the GPU allocator)
static tl_tensor *pretended[32];
static int npretended;

static int device_teardown(void **state) {
    for (int i = 0; i < npretended; i++) pretended[i]->storage->device = TL_CPU_DEVICE;
    npretended = 0;
    int status = teardown(state);        // tests/fixture.h: the pool, then the leak check
    tl_error_clear();
    return status;
}

// t's storage claims to be on cuda:index (its memory stays in the host); undo with pretend_cpu
static tl_tensor *pretend_cuda(tl_tensor *t, int index) {
    t->storage->device = (tl_device){ TL_CUDA, index };
    if (npretended < 32) pretended[npretended++] = t;
    return t;
}
static void pretend_cpu(tl_tensor *t) { t->storage->device = TL_CPU_DEVICE; }

#define MISMATCH "Expected all tensors to be on the same device, but found at least two devices, "

// ----------------------------------------------------------------------------

static void test_device_names(void **state) {
    (void)state;
    tl_device d;
    char buf[24];
    assert_true(tl_device_parse("cpu", &d));
    assert_int_equal(d.type, TL_CPU);
    assert_string_equal(tl_device_name(d, buf, sizeof buf), "cpu");
    assert_true(tl_device_parse("cuda", &d));
    assert_int_equal(d.type, TL_CUDA);
    assert_int_equal(d.index, 0);
    assert_string_equal(tl_device_name(d, buf, sizeof buf), "cuda:0");
    assert_true(tl_device_parse("cuda:1", &d));
    assert_int_equal(d.index, 1);
    assert_string_equal(tl_device_name(d, buf, sizeof buf), "cuda:1");
    assert_true(tl_device_equal((tl_device){ TL_CUDA, 1 }, d));
    assert_false(tl_device_equal(TL_CPU_DEVICE, d));
    // PyTorch 1.13.1: torch.device("cuda:x"), torch.device("gpu")
    assert_false(tl_device_parse("cuda:x", &d));
    expect_error("Invalid device string: 'cuda:x'");
    assert_false(tl_device_parse("gpu", &d));
    expect_error("Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, ort, xla, lazy, "
                 "vulkan, mps, meta, hpu, privateuseone device type at start of device string: gpu");
    assert_null(tl_to(tl_tensor_parse("[1.]"), "gpu"));
    tl_error_clear();
}

// the tutorial's error (000:895): the CUDA operand's device is named first, in either order
static void test_mismatch_message(void **state) {
    (void)state;
    tl_tensor *cpu = tl_tensor_parse("[1., 2., 3.]");
    tl_tensor *gpu = pretend_cuda(tl_tensor_parse("[4., 5., 6.]"), 0);
    assert_null(tl_add(cpu, gpu));
    expect_error(MISMATCH "cuda:0 and cpu!");
    assert_null(tl_add(gpu, cpu));
    expect_error(MISMATCH "cuda:0 and cpu!");
    assert_null(tl_mul(cpu, gpu));
    expect_error(MISMATCH "cuda:0 and cpu!");
    assert_null(tl_gt(gpu, cpu));
    expect_error(MISMATCH "cuda:0 and cpu!");
    tl_tensor *gpu1 = pretend_cuda(tl_tensor_parse("[7., 8., 9.]"), 1);
    assert_null(tl_sub(gpu, gpu1));
    expect_error(MISMATCH "cuda:0 and cuda:1!");
    // matrix products and addmm (a Linear layer with its weight on the GPU, its input on the CPU)
    tl_tensor *m = tl_tensor_parse("[[1., 2., 3.]]");
    tl_tensor *w = pretend_cuda(tl_tensor_parse("[[1., 0., 0.], [0., 1., 0.]]"), 0);
    tl_tensor *b = pretend_cuda(tl_tensor_parse("[0., 0.]"), 0);
    assert_null(tl_matmul(m, tl_T(w)));
    expect_error(MISMATCH "cuda:0 and cpu!");
    assert_null(tl_addmm(b, m, tl_T(w)));
    expect_error(MISMATCH "cuda:0 and cpu!");
    // the loss: logits on the GPU, labels left on the CPU
    tl_tensor *logits = pretend_cuda(tl_tensor_parse("[[1., 2.], [3., 4.]]"), 0);
    assert_null(tl_nll_loss(logits, tl_tensor_parse("[0, 1]")));
    expect_error(MISMATCH "cuda:0 and cpu!");
    assert_null(tl_cat(TL_LIST(cpu, gpu), 0));
    expect_error(MISMATCH "cuda:0 and cpu!");
    assert_null(tl_index_select(gpu, 0, tl_tensor_parse("[0, 2]")));
    expect_error(MISMATCH "cuda:0 and cpu!");
    assert_null(tl_where(tl_tensor_parse("[True, False, True]"), cpu, gpu));
    expect_error(MISMATCH "cuda:0 and cpu!");
    // add_ follows the rule too
    assert_null(tl_add_(cpu, gpu));
    expect_error(MISMATCH "cuda:0 and cpu!");
    pretend_cpu(gpu), pretend_cpu(gpu1), pretend_cpu(w), pretend_cpu(b), pretend_cpu(logits);
}

// a 0-d CPU tensor is a number and may join a GPU operation; anything bigger may not
static void test_common_device_rule(void **state) {
    (void)state;
    tl_tensor *gpu = pretend_cuda(tl_tensor_parse("[1., 2.]"), 0);
    tl_tensor *number = tl_scalar(2, TL_FLOAT32), *vector = tl_tensor_parse("[2.]");
    tl_device d;
    assert_true(tl_common_device((const tl_tensor *[]){ number, gpu }, 2, &d));
    assert_int_equal(d.type, TL_CUDA);
    assert_false(tl_common_device((const tl_tensor *[]){ vector, gpu }, 2, &d));
    expect_error(MISMATCH "cuda:0 and cpu!");
    assert_true(tl_common_device((const tl_tensor *[]){ number, vector }, 2, &d));
    assert_int_equal(d.type, TL_CPU);
    assert_true(tl_is_cuda(gpu));
    assert_false(tl_is_cuda(vector));
    assert_int_equal(tl_device_of(gpu).index, 0);
    pretend_cpu(gpu);
}

// tl_require_cpu: what an op without a GPU path (none today) answers for a GPU tensor
static void test_require_cpu(void **state) {
    (void)state;
    tl_tensor *gpu = pretend_cuda(tl_tensor_parse("[1., -2.]"), 0), *cpu = tl_tensor_parse("[1.]");
    assert_true(tl_require_cpu("frobnicate", (const tl_tensor *[]){ cpu, cpu }, 2));
    assert_false(tl_require_cpu("frobnicate", (const tl_tensor *[]){ cpu, gpu }, 2));
    expect_error("frobnicate is not implemented for CUDA tensors in Torchlet yet: move the tensors to the CPU first "
                 "(tl_to(t, \"cpu\"))");
    pretend_cpu(gpu);
}

// .to("cpu") of a CPU tensor is the tensor itself, as in PyTorch
static void test_to_cpu_is_identity(void **state) {
    (void)state;
    tl_tensor *t = tl_tensor_parse("[[1., 2.], [3., 4.]]");
    assert_ptr_equal(tl_to(t, "cpu"), t);
    assert_ptr_equal(tl_cpu(t), t);
    assert_ptr_equal(tl_to_device(tl_T(t), TL_CPU_DEVICE)->storage, t->storage);   // a view stays a view
    assert_null(tl_to(NULL, "cpu"));
}

// where the GPU cannot be used, tl_to says why, in PyTorch's words
static void test_to_cuda_without_gpu(void **state) {
    (void)state;
    if (tl_cuda_is_available()) {
        print_message("skipped: this machine has a CUDA device (tests/test_ch08_cuda.c covers it)\n");
        skip();
    }
    tl_tensor *t = tl_tensor_parse("[1., 2., 3.]");
    assert_null(tl_to(t, "cuda"));
    if (!tl_cuda_compiled()) {
        expect_error("Torch not compiled with CUDA enabled");     // PyTorch: AssertionError
    } else {
        const char *e = tl_error();
        assert_non_null(e);
        if (strcmp(e, "No CUDA GPUs are available") != 0)
            assert_string_equal(e, "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU "
                                   "and installed a driver from http://www.nvidia.com/Download/index.aspx");
        tl_error_clear();
    }
    assert_null(tl_to(t, "cuda:1"));
    assert_non_null(tl_error());
    tl_error_clear();
    assert_string_equal(tl_default_device(), "cpu");
    assert_false(tl_cuda_is_available());
}

// model.to: "cpu" changes nothing; "cuda" without a GPU fails and leaves the model as it was
static void test_module_to_without_gpu(void **state) {
    (void)state;
    tl_manual_seed(123);
    tl_module *model = tl_sequential_new(2, tl_linear_new(2, 3, true), tl_relu_new());
    tl_tensor *w = tl_module_param(model, "0.weight");
    tl_storage *before = w->storage;
    double w00 = tl_get(w, TL_SHAPE(0, 0));
    assert_true(tl_module_to(model, "cpu"));
    assert_ptr_equal(w->storage, before);
    if (!tl_cuda_is_available()) {
        assert_false(tl_module_to(model, "cuda"));
        assert_non_null(tl_error());
        tl_error_clear();
        assert_ptr_equal(w->storage, before);
        assert_false(tl_is_cuda(w));
        assert_true(tl_get(w, TL_SHAPE(0, 0)) == w00);
    }
    assert_false(tl_module_to(model, "tpu"));
    tl_error_clear();
    tl_module_free(model);
}

// the _like functions keep a CPU tensor on the CPU (chapter 08 made them follow the device)
static void test_like_functions_follow_device(void **state) {
    (void)state;
    tl_tensor *t = tl_tensor_parse("[[1., 2.], [3., 4.]]");
    tl_tensor *z = tl_zeros_like(t), *o = tl_ones_like(t), *e = tl_empty_like(t);
    assert_false(tl_is_cuda(z) || tl_is_cuda(o) || tl_is_cuda(e));
    assert_true(tl_get(z, TL_SHAPE(1, 1)) == 0.0);
    assert_true(tl_get(o, TL_SHAPE(1, 0)) == 1.0);
    tl_tensor *zc = tl_zeros_on(TL_SHAPE(3), TL_INT64, TL_CPU_DEVICE);
    assert_true(tl_get(zc, TL_SHAPE(2)) == 0.0);
    assert_false(tl_is_cuda(tl_empty_on(TL_SHAPE(2), TL_FLOAT32, TL_CPU_DEVICE)));
}

// without a GPU, the allocator has nothing to report
static void test_memory_stats_without_gpu(void **state) {
    (void)state;
    if (tl_cuda_is_available()) skip();
    tl_cuda_memory_stats s = tl_cuda_memory();
    assert_int_equal(s.allocated, 0);
    assert_int_equal(s.malloc_calls, 0);
}

// reshape of a device tensor that no view can give: one copy in row-major order (tl_device_copy_flat).
// It needs a device: a GPU, or the host emulation of tests/mock/run.sh
static void test_reshape_copy_on_device(void **state) {
    (void)state;
    if (!tl_cuda_is_available()) skip();
    tl_tensor *x = tl_reshape(tl_arange(0, 24, 1), TL_SHAPE(2, 3, 4)), *row = tl_arange(0, 4, 1);
    tl_tensor *gx = tl_to(x, "cuda"), *grow = tl_to(row, "cuda");
    assert_non_null(gx);
    assert_non_null(grow);
    struct { tl_tensor *cpu, *gpu; } cases[] = {
        { tl_permute(x, TL_DIMS(2, 0, 1)), tl_permute(gx, TL_DIMS(2, 0, 1)) },            // int64, permuted
        { tl_transpose(tl_to_dtype(x, TL_FLOAT32), 0, 2), tl_transpose(tl_to_dtype(gx, TL_FLOAT32), 0, 2) },
        { tl_expand(row, TL_SHAPE(3, 4)), tl_expand(grow, TL_SHAPE(3, 4)) },               // stride 0
    };
    for (int k = 0; k < 3; k++) {
        tl_tensor *want = tl_to_dtype(tl_reshape(cases[k].cpu, TL_SHAPE(-1)), TL_FLOAT64);
        tl_tensor *r = tl_reshape(cases[k].gpu, TL_SHAPE(-1));
        assert_non_null(r);
        assert_true(tl_is_cuda(r));
        assert_int_equal(r->dtype, cases[k].cpu->dtype);
        tl_tensor *got = tl_to_dtype(tl_cpu(r), TL_FLOAT64);
        assert_non_null(got);
        assert_int_equal(tl_numel(got), tl_numel(want));
        for (int64_t i = 0; i < tl_numel(want); i++) assert_true(TL_DATA(got, double)[i] == TL_DATA(want, double)[i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_device_names, setup, device_teardown),
        cmocka_unit_test_setup_teardown(test_mismatch_message, setup, device_teardown),
        cmocka_unit_test_setup_teardown(test_common_device_rule, setup, device_teardown),
        cmocka_unit_test_setup_teardown(test_require_cpu, setup, device_teardown),
        cmocka_unit_test_setup_teardown(test_to_cpu_is_identity, setup, device_teardown),
        cmocka_unit_test_setup_teardown(test_to_cuda_without_gpu, setup, device_teardown),
        cmocka_unit_test_setup_teardown(test_module_to_without_gpu, setup, device_teardown),
        cmocka_unit_test_setup_teardown(test_like_functions_follow_device, setup, device_teardown),
        cmocka_unit_test_setup_teardown(test_memory_stats_without_gpu, setup, device_teardown),
        cmocka_unit_test_setup_teardown(test_reshape_copy_on_device, setup, device_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
