#!/usr/bin/env python3
"""Loads weights that webgrad saved as safetensors into the matching PyTorch nn.Sequential and
checks that PyTorch computes the logits webgrad computed.

usage: torch_check.py MODEL.safetensors PROBE.safetensors [--rtol R] [--atol A]

MODEL holds the parameters under nn.Sequential state_dict names ('0.weight', ...) and, in its
__metadata__, 'torch_modules': a JSON list of {"type": <torch.nn class>, "args": {kwargs}}
(written by webgrad's Sequential.torchModules()). PROBE holds 'input' (a batch in the model's
input layout, NCHW for conv nets) and 'logits' (webgrad's output for it).

The safetensors files are parsed here, not with the safetensors package: an 8-byte
little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the
bytes. The model is loaded with load_state_dict(strict=True), so a missing, extra or
misshapen tensor fails. Prints one line and exits 0 when the logits agree, 1 otherwise.
"""
import argparse
import json
import struct
import sys

import numpy as np
import torch
from torch import nn


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (header_len,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + header_len])
    data = raw[8 + header_len:]
    metadata = header.pop('__metadata__', {})
    tensors = {}
    for name, info in header.items():
        if info['dtype'] != 'F32':
            raise ValueError(f'{path}: tensor {name} has dtype {info["dtype"]}, expected F32')
        begin, end = info['data_offsets']
        values = np.frombuffer(data[begin:end], dtype='<f4').reshape(info['shape'])
        tensors[name] = torch.from_numpy(values.copy())
    return tensors, metadata


def build(modules):
    layers = []
    for m in modules:
        cls = getattr(nn, m['type'])
        args = {k: tuple(v) if isinstance(v, list) else v for k, v in m['args'].items()}
        layers.append(cls(**args))
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('probe')
    ap.add_argument('--rtol', type=float, default=1e-4)
    ap.add_argument('--atol', type=float, default=1e-4)
    a = ap.parse_args()
    weights, metadata = read_safetensors(a.model)
    if 'torch_modules' not in metadata:
        print(f'{a.model}: no torch_modules in the metadata ({sorted(metadata)})')
        return 1
    model = build(json.loads(metadata['torch_modules']))
    model.load_state_dict(weights, strict=True)
    model.eval()
    probe, _ = read_safetensors(a.probe)
    x = probe['input']
    if isinstance(model[0], nn.Embedding):
        x = x.long()  # token indices (webgrad keeps them as f32 holding integers)
    with torch.no_grad():
        logits = model(x)
    want = probe['logits']
    if tuple(logits.shape) != tuple(want.shape):
        print(f'shape mismatch: torch {tuple(logits.shape)}, webgrad {tuple(want.shape)}')
        return 1
    diff = (logits - want).abs()
    bound = a.atol + a.rtol * want.abs()
    worst = float((diff / bound).max())
    ok = worst <= 1.0
    print(f'{"ok" if ok else "MISMATCH"}: {len(model)} modules, {len(weights)} tensors, logits {tuple(want.shape)}, '
          f'max |torch - webgrad| = {float(diff.max()):.3g} (worst/allowed {worst:.3g}), torch {torch.__version__}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
