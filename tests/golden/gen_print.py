#!/usr/bin/env python3
"""gen_print.py — golden texts for tests/test_ch01_print.c, derived from PyTorch itself.

Run with the PyTorch it documents (Debian's python3-torch 1.13.1 here):
    /usr/bin/python3 tests/golden/gen_print.py > tests/golden/print_golden.h

For every case it builds a tensor with torch, records what a C test needs to build the same
tensor (dtype, shape, the exact element values as hex literals, or a formula for the big
ones, plus the view, grad and print-option settings) and the text repr() gives. A second
table holds Python's repr(float) for chosen and random doubles. The formulas are checked
against numpy float32 arithmetic here, so the C side computes bit-identical values.
"""
import math
import random
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

T = torch.tensor
nan, inf = float("nan"), float("inf")

# ---------------------------------------------------------------------------
# big tensors are described by a formula over the flat index i instead of data
GEN = {  # name: (C enum, numpy float32/int64 values for n elements and a parameter)
    "arange":     ("GEN_ARANGE",     lambda n, k, dt: np.arange(n, dtype=dt)),
    "arange_div": ("GEN_ARANGE_DIV", lambda n, k, dt: np.arange(n).astype(np.float32) / np.float32(k)),
    "arange_mul": ("GEN_ARANGE_MUL", lambda n, k, dt: np.arange(n).astype(np.float32) * np.float32(k)),
    "mod17":      ("GEN_MOD17",      lambda n, k, dt: (np.arange(n) % 17 - 8).astype(np.float32) / np.float32(10)),
}


def probas():
    # the tutorial's softmax of the trained model's logits (seed-catalogue, full precision)
    logits = T([[2.85692525, -4.16177702], [2.53819346, -3.75478673], [2.09436846, -3.18195081],
                [-1.48135340, 1.48162293], [-1.71761250, 1.73422837]])
    return torch.softmax(logits, dim=1)


def tutorial_loss():
    y, x1, w1, b = T([1.0]), T([1.1]), T([2.2]), T([0.0])
    return F.binary_cross_entropy(torch.sigmoid(x1 * w1 + b), y)


def tutorial_grad_w1():
    y, x1 = T([1.0]), T([1.1])
    w1, b = T([2.2], requires_grad=True), T([0.0], requires_grad=True)
    loss = F.binary_cross_entropy(torch.sigmoid(x1 * w1 + b), y)
    loss.backward()
    return w1.grad


def addmm_out():
    b = T([-0.1262, 0.1080, -0.1792], requires_grad=True)
    return torch.addmm(b, torch.zeros(1, 2), torch.zeros(2, 3))


P = torch.nn.Parameter
f64 = torch.float64

# (name, build, print options, gen) — gen = (formula, parameter) for the big ones
CASES = [
    # the tutorial, Part 1 §2 and the derived values of the seed catalogue
    ("tutorial_int_2x3", lambda: T([[1, 2, 3], [4, 5, 6]]), {}, None),
    ("tutorial_matmul", lambda: T([[1, 2, 3], [4, 5, 6]]) @ T([[1, 2, 3], [4, 5, 6]]).T, {}, None),
    ("tutorial_linspace", lambda: torch.linspace(0, 1, 5), {}, None),
    ("tutorial_div", lambda: T([[1, 2], [3, 4]]) / T([[5, 6], [7, 8]]), {}, None),
    ("tutorial_add", lambda: T([1., 2., 3.]) + T([4., 5., 6.]), {}, None),
    ("tutorial_loss_0d", tutorial_loss, {}, None),
    ("tutorial_grad_w1", tutorial_grad_w1, {}, None),
    ("tutorial_addmm", addmm_out, {}, None),
    ("tutorial_probas_sci_false", probas, {"sci_mode": False}, None),
    ("tutorial_argmax", lambda: T([0, 0, 0, 1, 1]), {}, None),
    ("tutorial_eq", lambda: T([True, True, True, True, True]), {}, None),
    ("tutorial_sum_0d", lambda: T(5), {}, None),
    # integers
    ("int_negative", lambda: T([-1, 20, -300]), {}, None),
    ("int_extremes", lambda: T([2**62, -2**63, 0]), {}, None),
    ("int_3d", lambda: torch.arange(24).reshape(2, 3, 4), {}, None),
    # floats
    ("float_prec4", lambda: T([0.5, -1.25, 3.14159]), {}, None),
    ("float_int_valued", lambda: T([1., 2., 3.]), {}, None),
    ("float_arange12", lambda: torch.arange(12).float(), {}, None),
    ("float_neg_zero", lambda: T([-0., 1.]), {}, None),
    ("float_all_zero", lambda: torch.zeros(3), {}, None),
    ("float_big_int_valued", lambda: T([12345678., -3.]), {}, None),
    ("float_4d", lambda: torch.arange(16.).reshape(2, 2, 2, 2), {}, None),
    ("float_rounding", lambda: T([0.00015, 0.12345, 0.99995, 2.5e-4], dtype=f64), {}, None),
    # scientific notation, chosen automatically
    ("sci_small", lambda: T([1e-5, 1.0]), {}, None),
    ("sci_big", lambda: T([1e10]), {}, None),
    ("sci_ratio_int", lambda: T([1., 1e5]), {}, None),
    ("sci_float32_1e-4", lambda: T([0.0001]), {}, None),
    ("sci_f64_1e-4", lambda: T([0.0001, 0.5], dtype=f64), {}, None),
    ("sci_mixed_signs", lambda: T([-1e-5, 2.5e3, 1e9]), {}, None),
    ("sci_huge_exp", lambda: T([1e-300, 1e300], dtype=f64), {}, None),
    ("sci_probas_auto", probas, {}, None),
    ("sci_0d", lambda: T(1e-7), {}, None),
    # scientific notation forced on or off (width is measured BEFORE the override)
    ("sci_false_small", lambda: T([1e-5, 1.0]), {"sci_mode": False}, None),
    ("sci_false_plain", lambda: T([0.5, 1.5]), {"sci_mode": False}, None),
    ("sci_true_int_valued", lambda: T([1., 2.]), {"sci_mode": True}, None),
    ("sci_true_plain", lambda: T([0.5, -1.5]), {"sci_mode": True}, None),
    ("sci_true_zeros", lambda: torch.zeros(2), {"sci_mode": True}, None),
    ("sci_true_ints_ignored", lambda: T([1, 2]), {"sci_mode": True}, None),
    # summarisation (numel > threshold)
    ("summ_1d_int", lambda: torch.arange(2000), {}, ("arange", 0)),
    ("summ_1d_float", lambda: torch.arange(2000) / 3, {}, ("arange_div", 3)),
    ("summ_2d", lambda: (torch.arange(1500) / 7).reshape(30, 50), {}, ("arange_div", 7)),
    ("summ_2d_rows_only", lambda: torch.arange(1010).reshape(505, 2), {}, ("arange", 0)),
    ("summ_2d_cols_only", lambda: torch.arange(1010).reshape(2, 505), {}, ("arange", 0)),
    ("summ_3d", lambda: torch.arange(3000).reshape(10, 20, 15), {}, ("arange", 0)),
    ("summ_exactly_threshold", lambda: torch.arange(1000), {}, ("arange", 0)),
    # long rows wrap at linewidth
    ("wrap_1d", lambda: torch.arange(100.) * 1.5, {}, ("arange_mul", 1.5)),
    ("wrap_2d", lambda: (torch.arange(60.) * 0.37).reshape(2, 30), {}, None),
    ("wrap_3d", lambda: torch.arange(48).reshape(2, 2, 12) * 1000, {}, None),
    # dtypes
    ("float64_1d", lambda: T([1., 2.5], dtype=f64), {}, None),
    ("float64_0d", lambda: T(2.5, dtype=f64), {}, None),
    ("bool_1d", lambda: T([True, False]), {}, None),
    ("bool_2d", lambda: T([[True, False], [False, True]]), {}, None),
    ("bool_0d", lambda: T(False), {}, None),
    # empty tensors
    ("empty_1d", lambda: T([]), {}, None),
    ("empty_0x3", lambda: torch.empty(0, 3), {}, None),
    ("empty_int64", lambda: T([], dtype=torch.int64), {}, None),
    ("empty_bool_2x0", lambda: torch.empty(2, 0, dtype=torch.bool), {}, None),
    ("empty_f64_rg", lambda: torch.empty(0, dtype=f64, requires_grad=True), {}, None),
    # 0-d
    ("scalar_int", lambda: T(1), {}, None),
    ("scalar_float", lambda: T(0.0852), {}, None),
    ("scalar_zero", lambda: T(0.), {}, None),
    ("scalar_neg_zero", lambda: T(-0.), {}, None),
    ("scalar_nan", lambda: T(nan), {}, None),
    ("scalar_int_valued", lambda: T(-7.), {}, None),
    # nan and inf
    ("nan_inf_int_mode", lambda: T([nan, 1., inf]), {}, None),
    ("nan_inf_float", lambda: T([nan, 1.5, -inf]), {}, None),
    ("nan_zero", lambda: T([0., nan]), {}, None),
    ("nan_inf_sci", lambda: T([1e-5, inf, nan, -inf]), {}, None),
    ("inf_only", lambda: T([inf, -inf]), {}, None),
    # autograd suffixes
    ("requires_grad", lambda: T([1., 2.], requires_grad=True), {}, None),
    ("requires_grad_0d", lambda: T(3., requires_grad=True), {}, None),
    ("grad_fn_mul", lambda: T([1.1], requires_grad=True) * 2.2, {}, None),
    ("grad_fn_sum", lambda: T([1., 2.], requires_grad=True).sum(), {}, None),
    ("grad_fn_f64", lambda: T([1., 2.], dtype=f64, requires_grad=True) * 2, {}, None),
    ("parameter", lambda: P(T([[1., 2.], [3., 4.]])), {}, None),
    ("parameter_summ", lambda: P(((torch.arange(1500) % 17 - 8) / 10).reshape(30, 50)), {}, ("mod17", 0)),
    ("parameter_no_grad", lambda: P(T([1., 2.]), requires_grad=False), {}, None),
    # suffixes wrapping onto a new line
    ("suffix_f64_rg_5", lambda: (torch.arange(5, dtype=f64) / 3).requires_grad_(), {}, None),
    ("suffix_f64_rg_6", lambda: (torch.arange(6, dtype=f64) / 3).requires_grad_(), {}, None),
    ("suffix_f64_rg_7", lambda: (torch.arange(7, dtype=f64) / 3).requires_grad_(), {}, None),
    ("suffix_f64_rg_8", lambda: (torch.arange(8, dtype=f64) / 3).requires_grad_(), {}, None),
    ("suffix_f64_rg_9", lambda: (torch.arange(9, dtype=f64) / 3).requires_grad_(), {}, None),
    ("suffix_2d_grad_fn", lambda: (torch.arange(16, dtype=f64).reshape(2, 8) / 3).requires_grad_() * 1, {}, None),
    # the exact boundary of a suffix wrap: one column either way changes the text
    ("suffix_edge_1d_wraps", lambda: (T([1., 2.]) / 3).requires_grad_(), {"linewidth": 44}, None),
    ("suffix_edge_1d_fits", lambda: (T([1., 2.]) / 3).requires_grad_(), {"linewidth": 45}, None),
    ("suffix_edge_2d_wraps", lambda: (T([[1., 2.], [4., 5.]]) / 3).requires_grad_(), {"linewidth": 46}, None),
    ("suffix_edge_2d_fits", lambda: (T([[1., 2.], [4., 5.]]) / 3).requires_grad_(), {"linewidth": 47}, None),
    # print options
    ("opts_precision2", lambda: T([1.12345, 2.5]), {"precision": 2}, None),
    ("opts_precision0", lambda: T([1.5, 2.25, 0.4]), {"precision": 0}, None),
    ("opts_precision8", lambda: T([1 / 3, 2.0]), {"precision": 8}, None),
    ("opts_precision30", lambda: T([1 / 3], dtype=f64), {"precision": 30}, None),
    ("opts_edgeitems2", lambda: torch.arange(2000), {"edgeitems": 2}, ("arange", 0)),
    ("opts_linewidth40", lambda: torch.arange(30.) * 0.5, {"linewidth": 40}, None),
    ("opts_threshold5", lambda: torch.arange(10), {"threshold": 5}, None),
    ("opts_short_2d", lambda: (torch.arange(100) / 3).reshape(10, 10),
     {"threshold": 20, "edgeitems": 2, "precision": 2}, ("arange_div", 3)),
    ("opts_linewidth10", lambda: T([1.5, 2.5, 3.5]), {"linewidth": 10}, None),
    ("opts_linewidth30_suffix", lambda: T([1., 2.], dtype=f64, requires_grad=True), {"linewidth": 30}, None),
    ("opts_threshold0_0d", lambda: T(2.5), {"threshold": 0}, None),
    ("opts_threshold0_small", lambda: T([[1, 2], [3, 4]]), {"threshold": 0, "edgeitems": 1}, None),
    ("opts_edgeitems1_3d", lambda: torch.arange(27.).reshape(3, 3, 3), {"threshold": 10, "edgeitems": 1}, None),
    # views: strides, offsets and stride-0 dims are followed
    ("view_transpose", lambda: T([[1, 2, 3], [4, 5, 6]]).T, {}, None),
    ("view_expand", lambda: T([1., 2., 3.]).expand(2, 3), {}, None),
    ("view_select", lambda: T([[1., 2., 3.], [4., 5., 6.]])[1], {}, None),
    ("view_transpose_summ", lambda: torch.arange(1500).reshape(30, 50).T, {}, ("arange", 0)),
]

DTYPES = {torch.bool: "TL_BOOL", torch.int64: "TL_INT64", torch.float32: "TL_FLOAT32", torch.float64: "TL_FLOAT64"}


def c_string(s):
    out = []
    for ch in s:
        if ch == "\\": out.append("\\\\")
        elif ch == '"': out.append('\\"')
        elif ch == "\n": out.append("\\n")
        else: out.append(ch)
    return '"' + "".join(out) + '"'


def c_float(v, suffix):
    if math.isnan(v): return "NAN"
    if math.isinf(v): return "INFINITY" if v > 0 else "-INFINITY"
    return v.hex() + suffix


def c_values(t):
    flat = t.detach().contiguous().reshape(-1).tolist()
    if t.dtype == torch.float32:
        return "(const float[]){%s}" % ", ".join(c_float(v, "f") for v in flat)
    if t.dtype == torch.float64:
        return "(const double[]){%s}" % ", ".join(c_float(v, "") for v in flat)
    if t.dtype == torch.int64:
        return "(const int64_t[]){%s}" % ", ".join(
            "INT64_MIN" if v == -2**63 else "INT64_C(%d)" % v for v in flat)
    return "(const bool[]){%s}" % ", ".join("1" if v else "0" for v in flat)


def describe(name, build, opts, gen):
    torch.set_printoptions(profile="default")
    t = build()
    base, view = t, "VIEW_NONE"
    if name == "view_transpose" or name == "view_transpose_summ":
        base, view = t.T.contiguous(), "VIEW_TRANSPOSE"        # the test swaps dims 0 and 1
    elif name == "view_expand":
        base, view = t[0].contiguous(), "VIEW_EXPAND_ROWS"     # the test adds a stride-0 dim
    elif name == "view_select":
        base, view = T([[1., 2., 3.], [4., 5., 6.]]), "VIEW_SELECT_ROW1"
    else:
        assert t.is_contiguous() and t.storage_offset() == 0, name
    torch.set_printoptions(**opts)
    expected = repr(t)
    torch.set_printoptions(profile="default")

    if gen:
        fname, k = gen
        enum, fn = GEN[fname]
        dt = np.int64 if base.dtype == torch.int64 else np.float32
        ref = torch.from_numpy(np.ascontiguousarray(fn(base.numel(), k, dt))).reshape(base.shape)
        assert ref.dtype == base.dtype and torch.equal(ref, base.detach()), name + ": formula differs"
        data, genc, genk = "NULL", enum, repr(float(k))
    elif base.numel() == 0:
        data, genc, genk = "NULL", "GEN_NONE", "0"                 # the test calls tl_empty
    else:
        assert base.numel() <= 128, name + " needs a formula"
        data, genc, genk = c_values(base), "GEN_NONE", "0"
    grad_fn = type(t.grad_fn).__name__ if t.grad_fn is not None else None
    o = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
    o.update(opts)
    sci = {None: -1, False: 0, True: 1}[o["sci_mode"]]
    shape = ", ".join(str(s) for s in base.shape) or "0"
    return ("    { %s, %s, %d, { %s }, %s, %s, %s, %s, %s, %s, %s,\n"
            "      { %d, %d, %d, %d, %d },\n      %s },\n") % (
        c_string(name), DTYPES[t.dtype], base.dim(), shape, data, genc, genk, view,
        "true" if (t.requires_grad and t.grad_fn is None) else "false",
        "true" if isinstance(t, torch.nn.Parameter) else "false",
        c_string(grad_fn) if grad_fn else "NULL",
        o["precision"], o["threshold"], o["edgeitems"], o["linewidth"], sci,
        c_string(expected))


def float_cases():
    chosen = [15.0, 3.0, 1.5811388492584229, 1e-05, 0.0001, 1e16, 1e15, 123456789012345678.0, 0.1,
              1 / 3, -0.0, 0.0, inf, -inf, nan, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308,
              2.4200000762939453, 0.0851878821849823, -0.08982629328966141, 100.0, 1e22, 1e23,
              1.5e-7, 9007199254740993.0, 2.0 ** 60, 0.5, -2.5, 1e100, 1.2345e-300]
    rng = random.Random(20240601)
    randoms = []
    while len(randoms) < 200:
        kind = len(randoms) % 4
        if kind == 0:    # any bit pattern
            v = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        elif kind == 1:  # a float32 widened, as tensors hand them out
            v = float(np.float32(struct.unpack("<f", struct.pack("<I", rng.getrandbits(32)))[0]))
        elif kind == 2:  # next to a power of two, where the rounding interval is lopsided
            v = math.ldexp(1.0, rng.randint(-1070, 1020))
            v = np.nextafter(v, inf if rng.random() < 0.5 else -inf).item() if rng.random() < 0.7 else v
        else:            # ordinary decimals
            v = rng.randint(-10**9, 10**9) / 10 ** rng.randint(0, 12)
        if math.isfinite(v):
            randoms.append(v)
    rows = []
    for v in chosen + randoms:
        bits = struct.unpack("<Q", struct.pack("<d", v))[0]
        rows.append("    { UINT64_C(0x%016x), %s },\n" % (bits, c_string(repr(v))))
    return rows


def main():
    w = sys.stdout.write
    w("// print_golden.h — GENERATED by tests/golden/gen_print.py; do not edit by hand.\n")
    w("// Expected texts are repr() of PyTorch %s (Debian python3-torch 1.13.1) under Python %s,\n"
      % (torch.__version__, sys.version.split()[0]))
    w("// and Python's repr(float). Element values are exact hex literals, or a formula (GEN_*)\n")
    w("// that the generator checked against float32 arithmetic.\n")
    w("#ifndef TL_PRINT_GOLDEN_H\n#define TL_PRINT_GOLDEN_H\n\n")
    w("typedef enum { GEN_NONE, GEN_ARANGE, GEN_ARANGE_DIV, GEN_ARANGE_MUL, GEN_MOD17 } golden_gen;\n")
    w("typedef enum { VIEW_NONE, VIEW_TRANSPOSE, VIEW_EXPAND_ROWS, VIEW_SELECT_ROW1 } golden_view;\n\n")
    w("typedef struct {\n"
      "    const char *name;\n"
      "    tl_dtype dtype; int ndim; int64_t shape[TL_MAX_DIMS];  // the tensor as laid out in memory\n"
      "    const void *data;            // its values, row-major (NULL: use gen, or empty)\n"
      "    golden_gen gen; double gen_k;   // value i = i, i / k, i * k, ((i % 17) - 8) / 10\n"
      "    golden_view view;            // how the printed tensor views that memory:\n"
      "                                 // .T, .expand(2, n) of a 1-d, [1] of a (2, 3)\n"
      "    bool requires_grad, is_parameter;\n"
      "    const char *grad_fn;         // grad_fn name, or NULL\n"
      "    tl_printoptions opts;\n"
      "    const char *expected;        // repr() in PyTorch\n"
      "} golden_print;\n\n")
    w("static const golden_print GOLDEN_PRINT[] = {\n")
    for c in CASES:
        w(describe(*c))
    w("};\n\n")
    w("typedef struct { uint64_t bits; const char *repr; } golden_float;\n\n")
    w("static const golden_float GOLDEN_FLOAT[] = {\n")
    for r in float_cases():
        w(r)
    w("};\n\n#endif\n")


if __name__ == "__main__":
    main()
