#!/usr/bin/env python3
"""make_corpus.py — the fuzzers' seed corpora, from the test fixtures (no PyTorch needed).

    python3 fuzz/make_corpus.py        (from the repository root)

corpus/pth/: each fixture .pth as it is, and its pickle in fuzz_pth's wrapped form
(byte 0 = number of storages, their 2-byte sizes, then data.pkl). corpus/safetensors/: the
safetensors fixture and a small file of every dtype.
"""
import json, os, shutil, struct, zipfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
fixtures = os.path.join(root, "tests", "fixtures")
out_pth = os.path.join(root, "fuzz", "corpus", "pth")
out_st = os.path.join(root, "fuzz", "corpus", "safetensors")
os.makedirs(out_pth, exist_ok=True)
os.makedirs(out_st, exist_ok=True)

for name in sorted(os.listdir(fixtures)):
    path = os.path.join(fixtures, name)
    if name.endswith(".pth") and "legacy" not in name:
        shutil.copy(path, os.path.join(out_pth, name))
        z = zipfile.ZipFile(path)
        prefix = z.namelist()[0].split("/")[0] + "/"
        sizes = []
        while prefix + "data/%d" % len(sizes) in z.namelist() and len(sizes) < 7:
            sizes.append(len(z.read(prefix + "data/%d" % len(sizes))))
        wrapped = bytes([len(sizes)]) + b"".join(struct.pack("<H", s) for s in sizes) + z.read(prefix + "data.pkl")
        with open(os.path.join(out_pth, name[:-4] + ".pkl"), "wb") as f:
            f.write(wrapped)
    elif name.endswith(".safetensors"):
        shutil.copy(path, os.path.join(out_st, name))

header, data = {"__metadata__": {"k": "v"}}, b""
for key, dtype, raw in [("f", "F32", struct.pack("<2f", 1, 2)), ("d", "F64", struct.pack("<d", 3)),
                        ("i", "I64", struct.pack("<q", -4)), ("b", "BOOL", b"\x01\x00\x01")]:
    shape = [len(raw) // {"F32": 4, "F64": 8, "I64": 8, "BOOL": 1}[dtype]]
    header[key] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
h = json.dumps(header).encode()
with open(os.path.join(out_st, "dtypes.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + data)
