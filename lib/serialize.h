/* generated from chapters/07-saving/07-saving.md by tools/tangle.lua; edit the chapter, not this file */
#line 39 "chapters/07-saving/07-saving.md"
// serialize.h — state dicts, and files PyTorch reads and writes (chapter 07).
//
// The tutorial's section 8 in C:
//     tl_state_dict *sd = tl_module_state_dict(model);      // model.state_dict()
//     tl_save(sd, "model.pth");                              // torch.save(model.state_dict(), "model.pth")
//     tl_state_dict_free(sd);
//     tl_module *model2 = neural_network_new(2, 2);          // needs to match the original exactly
//     sd = tl_load("model.pth");                             // torch.load("model.pth", weights_only=True)
//     puts(tl_incompatible_keys_repr(TL_CHECK(tl_module_load_state_dict(model2, sd, true))));
//     tl_state_dict_free(sd);                                // "<All keys matched successfully>"
//
// A state dict by hand: tl_state_dict_set(sd, "weight", w) retains w; tl_state_dict_get borrows.
// Files: .pth as torch.save writes it (PyTorch 1.13 and 2.x load ours, we load theirs) and
// .safetensors. Saving is atomic: a temporary file next to the target, fsync, rename. Loading
// checks every byte: a truncated, corrupted or hostile file gives an error, never a crash.
// A state dict is not locked: share one between threads only with your own lock.
#ifndef TL_SERIALIZE_H
#define TL_SERIALIZE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nn.h"
#include "tensor.h"

#line 81 "chapters/07-saving/07-saving.md"
// ---------------------------------------------------------------------------
// A state dict: names -> tensors, in insertion order (collections.OrderedDict).
// The tensors are retained by the dict (not owned by a pool) until tl_state_dict_free.
typedef struct tl_state_dict tl_state_dict;
tl_state_dict *tl_state_dict_new(void);
void           tl_state_dict_free(tl_state_dict *sd);                  // NULL-safe
bool           tl_state_dict_set(tl_state_dict *sd, const char *name, tl_tensor *t); // sd[name] = t
tl_tensor     *tl_state_dict_get(const tl_state_dict *sd, const char *name);  // borrowed; NULL + error
int64_t        tl_state_dict_len(const tl_state_dict *sd);
const char    *tl_state_dict_key(const tl_state_dict *sd, int64_t i);         // i-th name, 0 <= i < len
tl_tensor     *tl_state_dict_value(const tl_state_dict *sd, int64_t i);       // i-th tensor (borrowed)
// Free-form text metadata, string -> string: safetensors' "__metadata__" (.pth files ignore it).
bool           tl_state_dict_set_metadata(tl_state_dict *sd, const char *key, const char *value);
const char    *tl_state_dict_metadata(const tl_state_dict *sd, const char *key);  // NULL if absent
int64_t        tl_state_dict_metadata_len(const tl_state_dict *sd);
const char    *tl_state_dict_metadata_key(const tl_state_dict *sd, int64_t i);
#line 64 "chapters/07-saving/07-saving.md"

#line 666 "chapters/07-saving/07-saving.md"
// ---------------------------------------------------------------------------
// .pth files: torch.save / torch.load (weights_only=True) of a state dict.
// tl_save writes PyTorch's zip format (archive/data.pkl, archive/data/N, archive/version,
// archive/byteorder; stored, data 64-byte aligned), atomically. Tensors sharing a storage are
// saved once and share it again when loaded (by Torchlet or by PyTorch).
bool           tl_save(const tl_state_dict *sd, const char *path);
// tl_load reads a .pth written by PyTorch 1.6+ (1.13, 2.x) or by tl_save, with a restricted
// unpickler: only the opcodes and globals a state dict needs. Legacy (pre-zip) files are refused.
tl_state_dict *tl_load(const char *path);                  // NULL + error on any problem
tl_state_dict *tl_load_buffer(const void *data, size_t size, const char *name);  // name: for messages
// the bytes of a whole file, as tl_load reads them (malloc'd: free() them); NULL + Python's error
unsigned char *tl_read_file(const char *path, size_t *size);
#line 1651 "chapters/07-saving/07-saving.md"
// ---------------------------------------------------------------------------
// safetensors: 8-byte little-endian header length, a JSON header (dtype "F32"/"F64"/"I64"/"BOOL",
// shape, data_offsets; optional "__metadata__" from the state dict's metadata), the data.
// Loading validates strictly: offsets in range, contiguous, no overlap or gap, sizes match.
bool           tl_save_safetensors(const tl_state_dict *sd, const char *path);
tl_state_dict *tl_load_safetensors(const char *path);
tl_state_dict *tl_load_safetensors_buffer(const void *data, size_t size, const char *name);

// For tests: the next atomic write fails after `after_bytes` bytes, as a full disk would.
void           tl_serialize_inject_write_failure_(int64_t after_bytes);
#line 66 "chapters/07-saving/07-saving.md"

#line 1955 "chapters/07-saving/07-saving.md"
// ---------------------------------------------------------------------------
// Modules (chapter 04's nn): model.state_dict() and model.load_state_dict(sd, strict).
// tl_module_state_dict: the module's parameters and buffers under their dotted names, detached
// (no grad) but sharing storage with the module. Free it with tl_state_dict_free.
tl_state_dict *tl_module_state_dict(const tl_module *m);

// What load_state_dict returns (PyTorch's _IncompatibleKeys): the keys the model has and the
// state dict lacks, and the keys the state dict has and the model does not. Pool-owned.
typedef struct {
    int64_t      n_missing, n_unexpected;
    const char **missing_keys, **unexpected_keys;
} tl_incompatible_keys;

// model.load_state_dict(sd, strict): copies each tensor into the parameter or buffer of its name
// (converting the dtype if needed). Fails, with PyTorch's message and the model untouched, on a
// shape mismatch, or (strict) on any missing or unexpected key. Everything is checked before
// anything is copied.
tl_incompatible_keys *tl_module_load_state_dict(tl_module *m, const tl_state_dict *sd, bool strict);
// repr(result): "<All keys matched successfully>" or "_IncompatibleKeys(missing_keys=[...], ...)"
const char *tl_incompatible_keys_repr(const tl_incompatible_keys *r);   // pool-owned
#line 68 "chapters/07-saving/07-saving.md"

#endif
