/* generated from chapters/07-saving/07-saving.md by tools/tangle.lua; edit the chapter, not this file */
#line 39 "chapters/07-saving/07-saving.md"
// serialize.h — state dicts, and files PyTorch reads and writes (chapter 07).
//
//     tl_state_dict *sd = tl_state_dict_new();
//     tl_state_dict_set(sd, "weight", w);             // sd["weight"] = w (w is retained)
//     tl_save(sd, "model.pth");                       // torch.save(sd, "model.pth"): zip + pickle
//     tl_state_dict_free(sd);
//     tl_state_dict *back = tl_load("model.pth");     // torch.load("model.pth", weights_only=True)
//     tl_print(tl_state_dict_get(back, "weight"));
//     tl_state_dict_free(back);                       // releases its tensors
//
// Files: .pth as torch.save writes it (PyTorch 1.13 and 2.x load ours, we load theirs) and
// .safetensors. Saving is atomic: a temporary file next to the target, fsync, rename. Loading
// checks every byte: a truncated, corrupted or hostile file gives an error, never a crash.
#ifndef TL_SERIALIZE_H
#define TL_SERIALIZE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tensor.h"

#line 75 "chapters/07-saving/07-saving.md"
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
#line 60 "chapters/07-saving/07-saving.md"

#line 607 "chapters/07-saving/07-saving.md"
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
#line 1484 "chapters/07-saving/07-saving.md"
// ---------------------------------------------------------------------------
// safetensors: 8-byte little-endian header length, a JSON header (dtype "F32"/"F64"/"I64"/"BOOL",
// shape, data_offsets; optional "__metadata__" from the state dict's metadata), the data.
// Loading validates strictly: offsets in range, contiguous, no overlap or gap, sizes match.
bool           tl_save_safetensors(const tl_state_dict *sd, const char *path);
tl_state_dict *tl_load_safetensors(const char *path);
tl_state_dict *tl_load_safetensors_buffer(const void *data, size_t size, const char *name);

// For tests: the next atomic write fails after `after_bytes` bytes, as a full disk would.
void           tl_serialize_inject_write_failure_(int64_t after_bytes);
#line 62 "chapters/07-saving/07-saving.md"

#endif
