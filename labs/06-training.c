/* generated from chapters/06-training/06-training.md by tools/tangle.lua; edit the chapter, not this file */
#line 488 "chapters/06-training/06-training.md"
// 06-training — tutorial §7: the training loop, predictions and accuracy.
#include "torchlet.h"
#include "neural_network.h"
#include "training_loop.h"
#include <stdio.h>

int main(int argc, char **argv) {
    tl_lab_begin(argc, argv);
#line 502 "chapters/06-training/06-training.md"
    TL_CELL("the data and the loaders");
    tl_tensor *X_train = tl_tensor_parse("[[-1.2, 3.1], [-0.9, 2.9], [-0.5, 2.6], [2.3, -1.1], [2.7, -1.5]]");
    tl_tensor *y_train = tl_tensor_parse("[0, 0, 0, 1, 1]");
    tl_tensor *X_test = tl_tensor_parse("[[-0.8, 2.8], [2.6, -1.6]]");
    tl_tensor *y_test = tl_tensor_parse("[0, 1]");
    tl_dataset *train_ds = tl_tensor_dataset_new(X_train, y_train);
    tl_dataset *test_ds = tl_tensor_dataset_new(X_test, y_test);
    tl_dataloader *train_loader = tl_dataloader_new(train_ds,
        (tl_dataloader_options){ .batch_size = 2, .shuffle = true, .drop_last = true });
    tl_dataloader *test_loader = tl_dataloader_new(test_ds, (tl_dataloader_options){ .batch_size = 2 });
    printf("%lld training batches, %lld test batch\n", (long long)tl_dataloader_len(train_loader),
           (long long)tl_dataloader_len(test_loader));
#line 593 "chapters/06-training/06-training.md"
    TL_CELL("training: 3 epochs");
    tl_manual_seed(123);
    tl_module *model = neural_network_new(2, 2);
    tl_sgd *optimizer = tl_sgd_new(model, (tl_sgd_options){ .lr = 0.5 });
    int num_epochs = 3;
    double losses[16];
    int nlosses = train_model(model, optimizer, train_loader, num_epochs, true, losses, 16);
#line 617 "chapters/06-training/06-training.md"
    TL_CELL("the loss curve");
    double steps[16];
    for (int i = 0; i < nlosses; i++) steps[i] = i + 1;
    const double *curve[1] = { losses };
    const char *curve_name[1] = { "cross-entropy loss per batch" };
    FILE *lf = tl_lab_figure("loss.svg");
    if (lf) {
        tl_plot_svg(lf, "Training loss, 3 epochs of 2 batches", steps, curve, curve_name, 1, nlosses);
        fclose(lf);
    }
    printf("%d losses, from %.4f to %.4f\n", nlosses, losses[0], losses[nlosses - 1]);
#line 641 "chapters/06-training/06-training.md"
    TL_CELL("outputs on the training set");
    tl_module_eval(model);
    tl_tensor *outputs;
    TL_NO_GRAD { outputs = tl_module_forward(model, X_train); }
    tl_print(outputs);
#line 660 "chapters/06-training/06-training.md"
    TL_CELL("probabilities, sci_mode=False");
    tl_printoptions popts = tl_get_printoptions();
    popts.sci_mode = 0;
    tl_set_printoptions(popts);
    tl_tensor *probas = tl_softmax(outputs, 1);
    tl_print(probas);
#line 683 "chapters/06-training/06-training.md"
    TL_CELL("argmax of the probabilities");
    tl_tensor *predictions = tl_argmax_dim(probas, 1, false);
    tl_print(predictions);
#line 693 "chapters/06-training/06-training.md"
    TL_CELL("argmax of the logits");
    predictions = tl_argmax_dim(outputs, 1, false);
    tl_print(predictions);
#line 703 "chapters/06-training/06-training.md"
    TL_CELL("predictions == y_train");
    tl_print(tl_eq(predictions, y_train));
#line 712 "chapters/06-training/06-training.md"
    TL_CELL("torch.sum(predictions == y_train)");
    tl_print(tl_sum(tl_eq(predictions, y_train)));
#line 776 "chapters/06-training/06-training.md"
    TL_CELL("compute_accuracy(model, train_loader)");
    printf("%s\n", tl_float_repr(compute_accuracy(model, train_loader)));
#line 785 "chapters/06-training/06-training.md"
    TL_CELL("compute_accuracy(model, test_loader)");
    printf("%s\n", tl_float_repr(compute_accuracy(model, test_loader)));
    tl_sgd_free(optimizer);
    tl_module_free(model);
    tl_dataloader_free(train_loader);
    tl_dataloader_free(test_loader);
    tl_dataset_free(train_ds);
    tl_dataset_free(test_ds);
#line 497 "chapters/06-training/06-training.md"
    return tl_lab_end();
}
