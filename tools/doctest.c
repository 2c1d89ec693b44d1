// doctest.c — checks a lab's printed output against the expected outputs written in its chapter.
//
// usage: doctest LAB EXPECTED
//   LAB       a lab program, e.g. build/labs/01-tensors
//   EXPECTED  its expected outputs, extracted from the chapter by tools/tangle.lua, e.g.
//             build/expected/01-tensors.expected, a list of records:
//                 @@ cell: <title>
//                 @@ source: 000:211-212            (or "derived: ...")
//                 @@ compare: tokens | none
//                 @@ at: chapters/01-tensors/01-tensors.md:123
//                 <expected lines>
//                 @@ end
//
// The lab is run once; its output is split into cells at the header lines "── [K] title ───".
// Each record is one cmocka test: the cell's output must have the same tokens as the expected
// text, whitespace runs being insignificant (the tutorial's transcription is not byte-exact) and
// numbers being equal at the precision the expected text prints. A mismatch names the chapter
// line of the expected block and shows expected and actual side by side.
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

// ----------------------------------------------------------------------------
// small text helpers

static char *read_stream(FILE *f) {
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) buf = realloc(buf, cap *= 2);
    }
    if (buf) buf[n] = '\0';
    return buf;
}

static char *dup_range(const char *from, const char *to) {
    char *s = malloc((size_t)(to - from) + 1);
    memcpy(s, from, (size_t)(to - from));
    s[to - from] = '\0';
    return s;
}

// ----------------------------------------------------------------------------
// expected records and actual cells

typedef struct {
    char *title, *source, *compare, *needs, *at, *text;
} record;

typedef struct {
    char *title, *text;
} cell;

static record *records;
static int nrecords;
static cell *cells;
static int ncells;
static int lab_status;
static const char *lab_path;

static char *field(const char *line, const char *key) {
    size_t k = strlen(key);
    return strncmp(line, key, k) == 0 ? (char *)line + k : NULL;
}

static void parse_expected(char *text) {
    record r = { 0 };
    char *body = NULL;
    for (char *line = text, *next; line && *line; line = next) {
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl) *nl = '\0';
        char *v;
        if (body) {
            if (strcmp(line, "@@ end") == 0) {
                r.text = dup_range(body, line);
                records = realloc(records, sizeof *records * (size_t)(nrecords + 1));
                records[nrecords++] = r;
                memset(&r, 0, sizeof r);
                body = NULL;
            } else if (nl) *nl = '\n';   // keep body lines joined
        } else if ((v = field(line, "@@ cell: "))) r.title = strdup(v);
        else if ((v = field(line, "@@ source: "))) r.source = strdup(v);
        else if ((v = field(line, "@@ compare: "))) r.compare = strdup(v);
        else if ((v = field(line, "@@ needs: "))) r.needs = strdup(v);
        else if ((v = field(line, "@@ at: "))) { r.at = strdup(v); body = next ? next : line; }
    }
}

// "── [K] title ───…" -> title (malloc), or NULL for an ordinary line
static char *header_title(const char *line, const char *eol) {
    static const char open[] = "\xe2\x94\x80\xe2\x94\x80 [";   // "── ["
    if ((size_t)(eol - line) < sizeof open || strncmp(line, open, sizeof open - 1) != 0) return NULL;
    const char *p = line + sizeof open - 1;
    while (p < eol && isdigit((unsigned char)*p)) p++;
    if (p + 2 > eol || p[0] != ']' || p[1] != ' ') return NULL;
    p += 2;
    const char *end = eol;
    const char *rule = strstr(p, " \xe2\x94\x80");                  // " ─" ends the title
    if (rule && rule < eol) end = rule;
    return dup_range(p, end);
}

static void split_cells(const char *out) {
    const char *line = out, *start = NULL;
    char *title = NULL;
    while (*line) {
        const char *eol = strchr(line, '\n');
        if (!eol) eol = line + strlen(line);
        char *t = header_title(line, eol);
        if (t) {
            if (title) {
                cells = realloc(cells, sizeof *cells * (size_t)(ncells + 1));
                cells[ncells++] = (cell){ title, dup_range(start, line) };
            }
            title = t;
            start = *eol ? eol + 1 : eol;
        }
        line = *eol ? eol + 1 : eol;
    }
    if (title) {
        cells = realloc(cells, sizeof *cells * (size_t)(ncells + 1));
        cells[ncells++] = (cell){ title, dup_range(start, line) };
    }
}

// ----------------------------------------------------------------------------
// tokens: numbers, words, single punctuation characters; whitespace separates

typedef struct {
    const char *s;
    int len;
    bool number;
} token;

static bool starts_number(const char *p) {
    if (*p == '-') p++;
    return isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]));
}

static int next_token(const char **pp, token *t) {
    const char *p = *pp;
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p) return 0;
    const char *s = p;
    if (starts_number(p)) {
        if (*p == '-') p++;
        while (isdigit((unsigned char)*p) || *p == '.') p++;
        if ((*p == 'e' || *p == 'E') && (isdigit((unsigned char)p[1]) ||
            ((p[1] == '-' || p[1] == '+') && isdigit((unsigned char)p[2])))) {
            p += 2;
            while (isdigit((unsigned char)*p)) p++;
        }
        *t = (token){ s, (int)(p - s), true };
    } else if (isalnum((unsigned char)*p) || *p == '_') {
        while (isalnum((unsigned char)*p) || *p == '_') p++;
        *t = (token){ s, (int)(p - s), false };
    } else {
        p++;
        while ((*p & 0xC0) == 0x80) p++;   // a whole UTF-8 character
        *t = (token){ s, (int)(p - s), false };
    }
    *pp = p;
    return 1;
}

// equal at the precision the expected number is printed with
static bool numbers_match(token e, token a) {
    char eb[64], ab[64];
    snprintf(eb, sizeof eb, "%.*s", e.len, e.s);
    snprintf(ab, sizeof ab, "%.*s", a.len, a.s);
    double ev = strtod(eb, NULL), av = strtod(ab, NULL);
    const char *dot = strchr(eb, '.');
    const char *exp = strpbrk(eb, "eE");
    if (!dot && !exp) return strcmp(eb, ab) == 0 || ev == av;   // integers: exact
    int decimals = 0;
    if (dot) for (const char *q = dot + 1; isdigit((unsigned char)*q); q++) decimals++;
    double unit = pow(10.0, -decimals);
    if (exp) unit *= pow(10.0, atoi(exp + 1));
    return fabs(ev - av) <= 0.5 * unit * (1 + 1e-9) + 1e-12 * fabs(ev);
}

// index of the first differing token, or -1 when they match
static int compare_tokens(const char *expected, const char *actual, token *te, token *ta) {
    const char *pe = expected, *pa = actual;
    for (int i = 0;; i++) {
        int he = next_token(&pe, te), ha = next_token(&pa, ta);
        if (!he && !ha) return -1;
        if (he != ha) {
            if (!he) *te = (token){ "<end>", 5, false };
            if (!ha) *ta = (token){ "<end>", 5, false };
            return i;
        }
        bool same = (te->number && ta->number) ? numbers_match(*te, *ta)
                    : te->len == ta->len && memcmp(te->s, ta->s, (size_t)te->len) == 0;
        if (!same) return i;
    }
}

// ----------------------------------------------------------------------------
// the report: expected and actual side by side, differing lines marked

static int utf8_width(const char *s, int bytes) {
    int w = 0;
    for (int i = 0; i < bytes; i++) w += (s[i] & 0xC0) != 0x80;
    return w;
}

static void side_by_side(const char *expected, const char *actual) {
    const int col = 44;
    print_error("  %-*s   %s\n", col, "expected (chapter)", "actual (lab output)");
    const char *e = expected, *a = actual;
    while (*e || *a) {
        const char *ee = strchr(e, '\n'), *ae = strchr(a, '\n');
        int el = ee ? (int)(ee - e) : (int)strlen(e), al = ae ? (int)(ae - a) : (int)strlen(a);
        token t1, t2;
        char *el_s = dup_range(e, e + el), *al_s = dup_range(a, a + al);
        bool same = compare_tokens(el_s, al_s, &t1, &t2) < 0;
        int pad = col - utf8_width(e, el);
        print_error("  %s%*s %s %s\n", el_s, pad > 0 ? pad : 0, "", same ? "|" : "≠", al_s);
        free(el_s);
        free(al_s);
        e = ee ? ee + 1 : e + el;
        a = ae ? ae + 1 : a + al;
    }
}

// ----------------------------------------------------------------------------
// the tests

static void test_lab_exits_cleanly(void **state) {
    (void)state;
    if (lab_status != 0)
        fail_msg("%s exited with status %d (see its output: run it by hand)", lab_path, lab_status);
}

static void test_record(void **state) {
    record *r = *state;
    cell *c = NULL;
    for (int i = 0; i < ncells; i++)
        if (strcmp(cells[i].title, r->title) == 0) c = &cells[i];
    if (!c) fail_msg("%s: the lab printed no cell titled \"%s\"", r->at, r->title);
    // a cell that needs hardware this machine lacks prints "skipped: needs ..." instead of its output
    if (r->needs && strncmp(c->text, "skipped: needs", 14) == 0) {
        const char *eol = strchr(c->text, '\n');
        print_message("%s: cell \"%s\" needs %s: %.*s\n", r->at, r->title, r->needs,
                      (int)(eol ? eol - c->text : (long)strlen(c->text)), c->text);
        skip();
    }
    if (r->compare && strcmp(r->compare, "none") == 0) {   // machine-dependent output
        print_message("%s: cell \"%s\" varies with the machine: shown in the book, not compared\n",
                      r->at, r->title);
        skip();
    }
    token te, ta;
    int k = compare_tokens(r->text, c->text, &te, &ta);
    if (k >= 0) {
        print_error("%s: cell \"%s\" (%s) differs at token %d: expected '%.*s', got '%.*s'\n",
                    r->at, r->title, r->source ? r->source : "", k + 1, te.len, te.s, ta.len, ta.s);
        side_by_side(r->text, c->text);
        fail();
    }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s LAB EXPECTED\n", argv[0]);
        return 2;
    }
    lab_path = argv[1];
    FILE *f = fopen(argv[2], "r");
    if (!f) { perror(argv[2]); return 2; }
    char *expected = read_stream(f);
    fclose(f);
    parse_expected(expected);

    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' 2>&1 </dev/null", lab_path);
    FILE *p = popen(cmd, "r");
    if (!p) { perror("popen"); return 2; }
    char *out = read_stream(p);
    int st = pclose(p);
    lab_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    split_cells(out ? out : "");

    struct CMUnitTest *tests = calloc((size_t)nrecords + 1, sizeof *tests);
    tests[0] = (struct CMUnitTest){ "lab exits with status 0", test_lab_exits_cleanly, NULL, NULL, NULL };
    for (int i = 0; i < nrecords; i++) {
        char *name = malloc(strlen(records[i].title) + 16);
        sprintf(name, "cell \"%s\"", records[i].title);
        tests[i + 1] = (struct CMUnitTest){ name, test_record, NULL, NULL, &records[i] };
    }
    const char *base = strrchr(lab_path, '/');
    char group[256];
    snprintf(group, sizeof group, "doctest %s", base ? base + 1 : lab_path);
    int failures = _cmocka_run_group_tests(group, tests, (size_t)nrecords + 1, NULL, NULL);

    for (int i = 0; i < nrecords; i++) {
        free((char *)tests[i + 1].name);
        free(records[i].title), free(records[i].source), free(records[i].compare), free(records[i].needs);
        free(records[i].at), free(records[i].text);
    }
    for (int i = 0; i < ncells; i++) free(cells[i].title), free(cells[i].text);
    free(tests), free(records), free(cells), free(expected), free(out);
    return failures;
}
