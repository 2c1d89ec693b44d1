/* generated from chapters/04-mlp/04-mlp.md by tools/tangle.lua; edit the chapter, not this file */
#line 1264 "chapters/04-mlp/04-mlp.md"
// neural_network.h — the tutorial's NeuralNetwork (000:383-399), shared by the labs of chapters
// 04 to 09: Linear(num_inputs, 30), ReLU, Linear(30, 20), ReLU, Linear(20, num_outputs).
#ifndef LAB_NEURAL_NETWORK_H
#define LAB_NEURAL_NETWORK_H
#include "torchlet.h"

#line 1237 "chapters/04-mlp/04-mlp.md"
static tl_tensor *neural_network_forward(tl_module *self, const tl_tensor *x) {
    return tl_module_forward(tl_module_child(self, "layers"), x);     // logits = self.layers(x)
}

static tl_module *neural_network_new(int64_t num_inputs, int64_t num_outputs) {
    tl_module *model = tl_module_new("NeuralNetwork", neural_network_forward);
    tl_module *layers = tl_module_add(model, "layers", tl_sequential_new(0));
    tl_sequential_append(layers, tl_linear_new(num_inputs, 30, true));   // 1st hidden layer
    tl_sequential_append(layers, tl_relu_new());
    tl_sequential_append(layers, tl_linear_new(30, 20, true));           // 2nd hidden layer
    tl_sequential_append(layers, tl_relu_new());
    tl_sequential_append(layers, tl_linear_new(20, num_outputs, true));  // output layer
    return model;
}
#line 1271 "chapters/04-mlp/04-mlp.md"

#endif
