/* generated from chapters/01-tensors/01-tensors.md by tools/tangle.lua; edit the chapter, not this file */
#line 4745 "chapters/01-tensors/01-tensors.md"
// print.h — PyTorch's exact text for tensors, shapes and Python floats.
//
//     tl_print(tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]"));
//     // tensor([[1, 2, 3],
//     //         [4, 5, 6]])
//
// The text is the one torch/_tensor_str.py produces, space for space: the same number
// format for the whole tensor, columns padded to one width, rows wrapped at the line
// width, "..." for the middle of big tensors, and the suffixes (dtype=, grad_fn=, ...).
#ifndef TL_PRINT_H
#define TL_PRINT_H
#include "tensor.h"

// torch.set_printoptions. Unlike Python, which changes only the options it is given,
// tl_set_printoptions sets all five: start from TL_PRINTOPTIONS_DEFAULT or from
// tl_get_printoptions() and change what you need.
typedef struct {
    int     precision;  // digits after the decimal point (4)
    int64_t threshold;  // more elements than this: summarise with "..." (1000)
    int     edgeitems;  // elements kept at each end of a summarised dimension (3)
    int     linewidth;  // characters per line before a row wraps (80)
    int     sci_mode;   // scientific notation: -1 automatic (PyTorch's None), 0 off, 1 on
} tl_printoptions;
#define TL_PRINTOPTIONS_DEFAULT ((tl_printoptions){ 4, 1000, 3, 80, -1 })
void            tl_set_printoptions(tl_printoptions opts);   // negative precision/edgeitems -> 0
tl_printoptions tl_get_printoptions(void);

// repr(t): "tensor([[1, 2],\n        [3, 4]])", with the suffixes PyTorch adds, in its order:
// device='cuda:0', size=(0, 3) (empty, not 1-d), dtype=torch.float64 (when not implied),
// grad_fn=<MulBackward0> or requires_grad=True; a parameter is "Parameter containing:\n...".
// The string belongs to the current pool. NULL in, NULL out (the recorded error stays).
// The elements are read through t->storage->data, so a CUDA tensor's storage must be
// readable from the host when it is printed.
const char *tl_repr(const tl_tensor *t);

// print(t): repr(t) and a newline on stdout. With NULL (an earlier call failed) it prints
// the recorded error the way Python shows the exception, "RuntimeError: <message>", and
// clears it.
void        tl_print(const tl_tensor *t);

// str(t.shape): "torch.Size([2, 3])", "torch.Size([])" for a 0-d tensor. Pool-owned.
const char *tl_shape_str(const tl_tensor *t);

// str(t.device): "cpu" or "cuda:0". Pool-owned.
const char *tl_device_str(const tl_tensor *t);

// Python's repr(float), the shortest text that reads back as the same double:
// "15.0", "1.5811388492584229", "1e-05", "1e+16", "inf", "nan", "-0.0". Pool-owned.
const char *tl_float_repr(double v);
#endif
