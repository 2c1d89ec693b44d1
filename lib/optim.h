/* generated from chapters/06-training/06-training.md by tools/tangle.lua; edit the chapter, not this file */
#line 205 "chapters/06-training/06-training.md"
// optim.h — SGD (torch.optim.SGD) and a progress line for long runs.
//
//     tl_sgd *opt = tl_sgd_new(model, (tl_sgd_options){ .lr = 0.5 });   // SGD(model.parameters(), lr=0.5)
//     for (...) {
//         tl_tensor *loss = tl_cross_entropy(tl_module_forward(model, x), y);
//         tl_sgd_zero_grad(opt);       // optimizer.zero_grad()
//         tl_backward(loss);           // loss.backward()
//         tl_sgd_step(opt);            // optimizer.step()
//     }
//     tl_sgd_free(opt);
#ifndef TL_OPTIM_H
#define TL_OPTIM_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "nn.h"
#include "tensor.h"

#line 241 "chapters/06-training/06-training.md"
typedef struct {
    double lr;              // the learning rate (required, >= 0)
    double momentum;        // 0: plain SGD
    double dampening;       // 0 in PyTorch by default
    double weight_decay;    // L2 penalty, 0: none
    bool   nesterov;        // needs momentum > 0 and dampening == 0
} tl_sgd_options;

typedef struct tl_sgd {
    tl_sgd_options opt;
    int            n;             // parameters updated
    tl_tensor    **params;        // retained
    tl_tensor    **momentum;      // [n] the momentum buffers (retained), NULL until first used
    int64_t        steps;
} tl_sgd;
#line 224 "chapters/06-training/06-training.md"

// the parameters of model that require grad, in model.parameters() order; NULL + error on a bad
// option, in PyTorch's words ("Invalid learning rate: -0.1")
tl_sgd *tl_sgd_new(const tl_module *model, tl_sgd_options options);
tl_sgd *tl_sgd_new_params(tl_tensor *const *params, int n, tl_sgd_options options);
void    tl_sgd_zero_grad(tl_sgd *opt);     // every parameter's .grad dropped (set_to_none=True)
bool    tl_sgd_step(tl_sgd *opt);          // one update of every parameter that has a .grad
void    tl_sgd_free(tl_sgd *opt);          // NULL-safe; the parameters stay the model's

#line 413 "chapters/06-training/06-training.md"
// a progress line: tl_progress_begin(&p, "train", total_steps); per step
// tl_progress_update(&p, step + 1, loss, batch_size); tl_progress_end(&p) at the end.
// On a terminal one line rewritten in place; otherwise a plain line at every 10%.
typedef struct {
    const char *label;
    int64_t     total, samples, last_printed;
    double      start;          // seconds (monotonic clock)
    bool        tty;
    FILE       *out;
} tl_progress;
void tl_progress_begin(tl_progress *p, const char *label, int64_t total_steps);
void tl_progress_update(tl_progress *p, int64_t step, double loss, int64_t batch_samples);
void tl_progress_end(tl_progress *p);
#line 234 "chapters/06-training/06-training.md"
#endif
