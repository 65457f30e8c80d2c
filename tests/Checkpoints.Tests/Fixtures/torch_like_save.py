"""Imitates torch.save with CPython's own pickler and zipfile, with no torch installed.

Stub modules named torch, torch._utils and torch.storage make CPython's pickler emit exactly the globals torch's
reductions do (torch._utils._rebuild_tensor_v2/_v3, torch._utils._rebuild_parameter, torch.<X>Storage,
torch.storage.UntypedStorage, torch.<dtype>, collections.OrderedDict); storages go out as persistent ids
('storage', type, key, 'cpu', numel), as torch.serialization._save's persistent_id writes them. Nothing here is
ever unpickled.

usage: torch_like_save.py OUT.bin PROTOCOL        a state dict (see TENSORS below)
       torch_like_save.py OUT.bin evil            a pickle whose REDUCE would call os.system('echo pwned')
"""
import collections
import io
import os
import pickle
import struct
import sys
import types
import zipfile

torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
torch_storage = types.ModuleType("torch.storage")
torch._utils = torch_utils
torch.storage = torch_storage
sys.modules.update({"torch": torch, "torch._utils": torch_utils, "torch.storage": torch_storage})


def _function(module, name):
    def never_called(*args):
        raise RuntimeError("stub")

    never_called.__module__ = module.__name__
    never_called.__name__ = never_called.__qualname__ = name
    setattr(module, name, never_called)
    return never_called


rebuild_v2 = _function(torch_utils, "_rebuild_tensor_v2")
rebuild_v3 = _function(torch_utils, "_rebuild_tensor_v3")
rebuild_parameter = _function(torch_utils, "_rebuild_parameter")


def _class(module, name):
    cls = type(name, (), {"__module__": module.__name__})
    setattr(module, name, cls)
    return cls


STORAGES = {"float32": ("FloatStorage", "<f", 4), "float16": ("HalfStorage", "<e", 2), "int64": ("LongStorage", "<q", 8),
            "bfloat16": ("BFloat16Storage", None, 2), "uint16": (None, "<H", 2)}
storage_classes = {dtype: _class(torch, cls) for dtype, (cls, _, _) in STORAGES.items() if cls}
untyped = _class(torch_storage, "UntypedStorage")
torch.UntypedStorage = untyped


class Dtype:
    __module__ = "torch"

    def __init__(self, name):
        self.name = name
        setattr(torch, name, self)

    def __reduce__(self):
        return self.name  # torch.dtype pickles as the global torch.<name>


dtypes = {name: Dtype(name) for name in STORAGES}


class Storage:
    def __init__(self, key, dtype, data):
        self.key, self.dtype, self.data = key, dtype, data


class Tensor:
    def __init__(self, storage, offset, size, stride):
        # Fresh tuples, as tuple(tensor.size()) and tensor.stride() are: literal tuples are shared constants the memo would reuse.
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(list(size)), tuple(list(stride))

    def __reduce_ex__(self, protocol):
        args = (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict())
        if STORAGES[self.storage.dtype][0] is None:
            return (rebuild_v3, args + (dtypes[self.storage.dtype],))
        return (rebuild_v2, args)


class Parameter:
    def __init__(self, data):
        self.data = data

    def __reduce_ex__(self, protocol):
        return (rebuild_parameter, (self.data, True, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            cls, _, size = STORAGES[obj.dtype]
            if cls is None:
                return ("storage", untyped, obj.key, "cpu", len(obj.data))
            return ("storage", storage_classes[obj.dtype], obj.key, "cpu", len(obj.data) // size)
        return None


def pack(dtype, values):
    if dtype == "bfloat16":  # the top half of each float32
        return b"".join(struct.pack("<f", v)[2:] for v in values)
    return struct.pack("<%d%s" % (len(values), STORAGES[dtype][1][1]), *values)


def write_zip(path, pickle_bytes, storages):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", pickle_bytes)
        archive.writestr("archive/byteorder", "little")
        for storage in sorted(storages, key=lambda s: s.key):
            archive.writestr("archive/data/" + storage.key, storage.data)
        archive.writestr("archive/version", "3\n")


def state_dict_file(path, protocol):
    shared = Storage("0", "float32", pack("float32", [float(i) for i in range(12)]))
    half = Storage("1", "float16", pack("float16", [0.5, -1.25, 2.0, 65504.0]))
    longs = Storage("2", "int64", pack("int64", [-(2 ** 40), 7, 2 ** 62]))
    brain = Storage("3", "bfloat16", pack("bfloat16", [1.0, -2.0, 0.15625]))
    shorts = Storage("4", "uint16", pack("uint16", [1, 65535]))
    state = collections.OrderedDict()
    state["shared.whole"] = Tensor(shared, 0, (3, 4), (4, 1))
    state["shared.row"] = Tensor(shared, 4, (4,), (1,))
    state["half"] = Parameter(Tensor(half, 0, (2, 2), (2, 1)))
    state["longs"] = Tensor(longs, 0, (3,), (1,))
    state["brain"] = Tensor(brain, 0, (3,), (1,))
    state["shorts"] = Tensor(shorts, 0, (2,), (1,))
    state["shared.again"] = state["shared.whole"]  # one object twice: the pickle memo answers with BINGET
    state._metadata = collections.OrderedDict([("", {"version": 1}), ("shared", {"version": 1})])
    buffer = io.BytesIO()
    TorchPickler(buffer, protocol=protocol).dump(state)
    write_zip(path, buffer.getvalue(), [shared, half, longs, brain, shorts])


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


if __name__ == "__main__":
    out, mode = sys.argv[1], sys.argv[2]
    if mode == "evil":
        write_zip(out, pickle.dumps(Evil(), protocol=2), [])
    else:
        state_dict_file(out, int(mode))
