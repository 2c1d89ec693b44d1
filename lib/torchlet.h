/* generated from chapters/00-setup/00-setup.md by tools/tangle.lua; edit the chapter, not this file */
#line 89 "chapters/00-setup/00-setup.md"
// torchlet.h — the whole public interface of Torchlet, "PyTorch in One Hour" in C.
//
// A first program (compile with: gcc demo.c -Ibuild/include -Lbuild -ltorchlet):
//
//     #include "torchlet.h"
//     int main(void) {
//         tl_tensor *a = tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]");  // torch.tensor(...)
//         tl_print(tl_matmul(a, tl_T(a)));                           // a @ a.T
//         return 0;                                                  // tensor([[14, 32],
//     }                                                              //         [32, 77]])
//
// Every function is named after its PyTorch counterpart with a tl_ prefix. A function that
// fails returns NULL and records a message worded like PyTorch's (tl_error()); a NULL argument
// passes the failure on, so a nested expression is checked once at the end. Tensors belong to
// the innermost pool (TL_SCOPE) and are released with it: temporaries need no free().
#ifndef TORCHLET_H
#define TORCHLET_H
#line 113 "chapters/00-setup/00-setup.md"
#include "setup.h"      // chapter 00: version, BLAS and CUDA of this build
#include "lab.h"        // chapter 00: cells, the notebook-style lab runner
#line 35 "chapters/01-tensors/01-tensors.md"
#include "tensor.h"     // chapter 01: the tensor, its memory, lifetime and errors
#include "ops.h"        // chapter 01: arithmetic, broadcasting, reductions, matmul
#include "print.h"      // chapter 01: PyTorch's exact text for tensors
#line 153 "chapters/02-graphs/02-graphs.md"
#include "autograd.h"   // chapters 02-03: the graph of operations and gradients
#line 743 "chapters/02-graphs/02-graphs.md"
#include "functional.h" // chapter 02: losses and softmax (torch.nn.functional)
#line 17 "chapters/04-mlp/04-mlp.md"
#include "random.h"     // chapter 04: PyTorch's CPU random number generator, bit for bit
#line 713 "chapters/04-mlp/04-mlp.md"
#include "activation.h" // chapter 04: GELU, SiLU, LeakyReLU, ELU, PReLU, and an SVG line plot
#line 1282 "chapters/04-mlp/04-mlp.md"
#include "nn.h"         // chapter 04: modules (Linear, Sequential, ...), parameters, print(model)
#line 19 "chapters/05-loaders/05-loaders.md"
#include "data.h"       // chapter 05: Dataset, TensorDataset, random_split, samplers, DataLoader
#line 12 "chapters/06-training/06-training.md"
#include "loss.h"       // chapter 06: cross_entropy and nll_loss for class labels
#include "optim.h"      // chapter 06: SGD with momentum, weight decay, Nesterov; a progress line
#line 35 "chapters/07-saving/07-saving.md"
#include "serialize.h"  // chapter 07: state dicts, torch.save/torch.load's .pth files, safetensors
#line 21 "chapters/08-gpu/08-gpu.md"
#include "device.h"     // chapter 08: devices, tl_to(t, "cuda"), model.to(device), the CUDA backend
#line 15 "chapters/09-ddp/09-ddp.md"
#include "dist.h"       // chapter 09: process groups over MPI, collectives, NCCL, the DDP wrapper
#line 107 "chapters/00-setup/00-setup.md"
#endif
