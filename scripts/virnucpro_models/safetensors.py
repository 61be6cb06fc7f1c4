"""Reading .safetensors files with the standard library and torch (no safetensors package).

Layout: 8-byte little-endian header length, a JSON header mapping names to dtype, shape and
[begin, end) byte offsets into the data that follows (plus an optional __metadata__ entry).
"""

import json
import struct
from typing import Dict

import torch

DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}


def load_safetensors(path: str) -> Dict[str, torch.Tensor]:
    with open(path, "rb") as source:
        prefix = source.read(8)
        if len(prefix) != 8:
            raise ValueError(f"{path}: too short for a safetensors file")
        (header_length,) = struct.unpack("<Q", prefix)
        try:
            header = json.loads(source.read(header_length))
        except ValueError as error:
            raise ValueError(f"{path}: unreadable safetensors header ({error})") from error
        data = source.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {entry['dtype']}")
        begin, end = entry["data_offsets"]
        if not 0 <= begin <= end <= len(data):
            raise ValueError(f"{path}: tensor {name} lies outside the file")
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(entry["shape"])
    return tensors
