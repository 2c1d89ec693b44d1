/* generated from chapters/00-setup/00-setup.md by tools/tangle.lua; edit the chapter, not this file */
#line 267 "chapters/00-setup/00-setup.md"
// lab.h — cells: run a chapter's lab like a notebook (all, --list, --cell K, --step).
//
//     int main(int argc, char **argv) {
//         tl_lab_begin(argc, argv);
//         TL_CELL("make a tensor");
//         tl_tensor *t = tl_tensor_parse("[1, 2, 3]");
//         tl_print(t);
//         TL_CELL("its shape");
//         puts(tl_shape_str(t));
//         return tl_lab_end();
//     }
#ifndef TL_LAB_H
#define TL_LAB_H
#include <stdio.h>

typedef struct {
    const char *title;   // shown in the header and by --list
    const char *file;    // the chapter the cell is written in (via #line)
    int         line;
} tl_cell;

#line 304 "chapters/00-setup/00-setup.md"
// The section's bounds, defined by the linker in the lab executable (weak: a program may have none).
extern const tl_cell *const __start_tl_cells[] __attribute__((weak));
extern const tl_cell *const __stop_tl_cells[] __attribute__((weak));

#define TL_CELL(title_)                                                                       \
    do {                                                                                      \
        static const tl_cell tl_cell_ = { (title_), __FILE__, __LINE__ };                     \
        static const tl_cell *const tl_cell_entry_                                            \
            __attribute__((used, section("tl_cells"))) = &tl_cell_;                           \
        tl_cell_begin_(&tl_cell_);                                                            \
    } while (0)
#line 289 "chapters/00-setup/00-setup.md"

// Parse the lab's options and open the lab's pool. Unknown options: usage, exit status 2.
#define tl_lab_begin(argc, argv) tl_lab_begin_((argc), (argv), __start_tl_cells, __stop_tl_cells)
void tl_lab_begin_(int argc, char **argv, const tl_cell *const *first, const tl_cell *const *last);
void tl_cell_begin_(const tl_cell *cell);   // called by TL_CELL: header, --step pause, --cell stop
int  tl_lab_end(void);                      // releases the lab's tensors; returns main's exit status

// A file for a figure the lab draws (a Graphviz .dot, a data file for a plot), opened for
// writing in the lab's figure folder: $TL_FIGURES, else build/out/<lab name>/. The build turns
// every .dot there into an .svg that the book shows. NULL (and a message) if it cannot be made.
FILE *tl_lab_figure(const char *filename);
#endif
