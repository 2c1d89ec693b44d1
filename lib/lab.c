/* generated from chapters/00-setup/00-setup.md by tools/tangle.lua; edit the chapter, not this file */
#line 321 "chapters/00-setup/00-setup.md"
// lab.c — the cell runner behind every lab program.
#define _POSIX_C_SOURCE 200809L
#include "lab.h"
#include "tensor.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#line 337 "chapters/00-setup/00-setup.md"
// ----------------------------------------------------------------------------
// the lab's state: its cells in reading order, the options, the pool of its tensors

static const tl_cell **cells;     // sorted by line
static int ncells;
static const char *program;
static enum { RUN_ALL, RUN_LIST, RUN_UPTO, RUN_STEP } mode = RUN_ALL;
static int upto;                  // --cell K
static tl_pool *lab_pool;

static int by_line(const void *a, const void *b) {
    const tl_cell *x = *(const tl_cell *const *)a, *y = *(const tl_cell *const *)b;
    int c = strcmp(x->file, y->file);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int cell_number(const tl_cell *cell) {
    for (int i = 0; i < ncells; i++)
        if (cells[i] == cell) return i + 1;
    return 0;
}
#line 332 "chapters/00-setup/00-setup.md"
#line 364 "chapters/00-setup/00-setup.md"
// ----------------------------------------------------------------------------
// options

static void usage(FILE *out) {
    fprintf(out,
            "usage: %s [--list | --cell K | --step]\n"
            "  (no option)  run every cell, with a header line before each\n"
            "  --list       list the cells and where they are written; run nothing\n"
            "  --cell K     run cells 1..K, then stop\n"
            "  --step       pause before each cell: Enter runs it, q quits\n",
            program);
}

static void usage_error(const char *what, const char *arg) {
    fprintf(stderr, "%s: %s '%s'\n", program, what, arg);
    usage(stderr);
    exit(2);
}

static void list_cells(void) {
    for (int i = 0; i < ncells; i++)
        printf("%3d  %-44s %s:%d\n", i + 1, cells[i]->title, cells[i]->file, cells[i]->line);
}

void tl_lab_begin_(int argc, char **argv, const tl_cell *const *first, const tl_cell *const *last) {
    program = argc > 0 ? argv[0] : "lab";
    ncells = (first && last) ? (int)(last - first) : 0;
    cells = malloc(sizeof *cells * (size_t)(ncells ? ncells : 1));
    if (!cells) { fprintf(stderr, "%s: out of memory\n", program); exit(1); }
    for (int i = 0; i < ncells; i++) cells[i] = first[i];
    qsort(cells, (size_t)ncells, sizeof *cells, by_line);

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--list")) mode = RUN_LIST;
        else if (!strcmp(argv[i], "--step")) mode = RUN_STEP;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); exit(0); }
        else if (!strcmp(argv[i], "--cell")) {
            if (i + 1 >= argc) usage_error("--cell needs a cell number", "");
            char *end;
            long k = strtol(argv[++i], &end, 10);
            if (*end || k < 1 || k > ncells) {
                fprintf(stderr, "%s: there is no cell '%s'; this lab has cells 1 to %d (--list shows them)\n",
                        program, argv[i], ncells);
                exit(2);
            }
            mode = RUN_UPTO;
            upto = (int)k;
        } else usage_error("unknown option", argv[i]);
    }
    if (mode == RUN_LIST) { list_cells(); free(cells); exit(0); }
    lab_pool = tl_pool_push();
}
#line 333 "chapters/00-setup/00-setup.md"
#line 424 "chapters/00-setup/00-setup.md"
// ----------------------------------------------------------------------------
// cells

static void finish(void) {
    fflush(stdout);
    tl_lab_end();
    exit(0);
}

static int columns(const char *utf8) {   // characters, not bytes: "─" is 3 bytes, 1 column
    int n = 0;
    for (; *utf8; utf8++) n += (*utf8 & 0xC0) != 0x80;
    return n;
}

static void header(int k, const tl_cell *cell) {
    char text[256];
    snprintf(text, sizeof text, "── [%d] %s ", k, cell->title);
    fputs(text, stdout);
    for (int i = columns(text); i < 78; i++) fputs("─", stdout);
    putchar('\n');
}

void tl_cell_begin_(const tl_cell *cell) {
    fflush(stdout);
    int k = cell_number(cell);
    if (mode == RUN_UPTO && k > upto) finish();
    if (mode == RUN_STEP) {
        fprintf(stderr, "\n[%d/%d] %s  (%s:%d)\nEnter runs it, q quits: ", k, ncells, cell->title,
                cell->file, cell->line);
        int c = getchar();
        if (c == 'q' || c == 'Q') finish();
        while (c != '\n' && c != EOF) c = getchar();
    }
    header(k, cell);
}

FILE *tl_lab_figure(const char *filename) {
    char dir[4096], path[4352];
    const char *base = strrchr(program ? program : "lab", '/');
    base = base ? base + 1 : (program ? program : "lab");
    if (getenv("TL_FIGURES")) snprintf(dir, sizeof dir, "%s", getenv("TL_FIGURES"));
    else snprintf(dir, sizeof dir, "build/out/%s", base);
    for (char *p = dir + 1; *p; p++)      // mkdir -p
        if (*p == '/') { *p = '\0'; mkdir(dir, 0777); *p = '/'; }
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/%s", dir, filename);
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "%s: cannot write the figure %s: %s\n", program, path, strerror(errno));
    return f;
}

int tl_lab_end(void) {
    fflush(stdout);
    if (lab_pool) { tl_pool_pop(lab_pool); lab_pool = NULL; }
    free(cells);
    cells = NULL;
    return 0;
}
