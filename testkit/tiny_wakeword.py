"""A tiny openWakeWord-shaped model set, built in the test: real ONNX files with openWakeWord's inputs and outputs, so
the code that serves real wake-word models (openwakeword's streaming features, our spotter, the listener) runs for
real. The hub's models cannot be fetched here.

- ``melspectrogram.onnx``: input ``input`` [1, samples] (int16 values as float) -> [1, 1, frames, 32], one frame per
  10 ms of a 25 ms window: its log energy in every band.
- ``embedding_model.onnx``: input ``input_1`` [batch, 76, 32, 1] -> [batch, 1, 1, 96]: the window's mean energy.
- ``loud.onnx`` (the "phrase" classifier): input [1, 16, 96] -> [1, 1]: near 1 when the last 0.3 s was loud.

So this "wake word" is any loud sound, such as speech: what it proves is the plumbing, not the acoustics.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MODEL_NAME = "loud.onnx"


def _save(graph, path: Path) -> None:
    import onnx
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what onnxruntime of this age reads
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def build(folder: Path) -> Path:
    """Write the three models into ``folder``; returns the classifier's path."""
    from onnx import TensorProto, helper, numpy_helper

    folder.mkdir(parents=True, exist_ok=True)
    f = TensorProto.FLOAT

    # melspectrogram: frames of 400 samples every 160 -> log(1 + mean square / 1e4) in 32 identical bands
    kernel = numpy_helper.from_array(np.full((32, 1, 400), 1 / 400, np.float32), "kernel")
    scale = numpy_helper.from_array(np.array(1e-4, np.float32), "scale")
    one = numpy_helper.from_array(np.array(1.0, np.float32), "one")
    axes = numpy_helper.from_array(np.array([1], np.int64), "axes1")
    nodes = [
        helper.make_node("Mul", ["input", "input"], ["square"]),
        helper.make_node("Unsqueeze", ["square", "axes1"], ["square3"]),  # [1, 1, samples]
        helper.make_node("Conv", ["square3", "kernel"], ["energy"], strides=[160]),  # [1, 32, frames]
        helper.make_node("Mul", ["energy", "scale"], ["scaled"]),
        helper.make_node("Add", ["scaled", "one"], ["plus1"]),
        helper.make_node("Log", ["plus1"], ["logs"]),
        helper.make_node("Transpose", ["logs"], ["frames"], perm=[0, 2, 1]),  # [1, frames, 32]
        helper.make_node("Unsqueeze", ["frames", "axes1"], ["output"]),  # [1, 1, frames, 32]
    ]
    graph = helper.make_graph(nodes, "melspectrogram",
                              [helper.make_tensor_value_info("input", f, [1, "samples"])],
                              [helper.make_tensor_value_info("output", f, [1, 1, "frames", 32])],
                              [kernel, scale, one, axes])
    _save(graph, folder / "melspectrogram.onnx")

    # embedding: the window's mean, repeated in 96 features
    ones = numpy_helper.from_array(np.ones((1, 1, 1, 96), np.float32), "ones")
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["input_1"], ["mean"], axes=[1, 2, 3], keepdims=1),  # [batch, 1, 1, 1]
         helper.make_node("Mul", ["mean", "ones"], ["embedding"])],
        "embedding", [helper.make_tensor_value_info("input_1", f, ["batch", 76, 32, 1])],
        [helper.make_tensor_value_info("embedding", f, ["batch", 1, 1, 96])], [ones])
    _save(graph, folder / "embedding_model.onnx")

    # classifier: sigmoid(16 * (mean of the last 4 embeddings - 2.2)); after openWakeWord's x/10 + 2, silence sits
    # at 2.0 and speech near 2.6
    start, end = (numpy_helper.from_array(np.array([v], np.int64), n) for v, n in ((12, "start"), (16, "end")))
    axis = numpy_helper.from_array(np.array([1], np.int64), "axis")
    gain = numpy_helper.from_array(np.array(16.0, np.float32), "gain")
    bias = numpy_helper.from_array(np.array(2.2, np.float32), "bias")
    shape = numpy_helper.from_array(np.array([1, 1], np.int64), "shape")
    graph = helper.make_graph(
        [helper.make_node("Slice", ["x", "start", "end", "axis"], ["recent"]),  # [1, 4, 96]
         helper.make_node("ReduceMean", ["recent"], ["level"], axes=[1, 2], keepdims=0),  # [1]
         helper.make_node("Sub", ["level", "bias"], ["centred"]),
         helper.make_node("Mul", ["centred", "gain"], ["logit"]),
         helper.make_node("Sigmoid", ["logit"], ["p"]),
         helper.make_node("Reshape", ["p", "shape"], ["score"])],
        "loud", [helper.make_tensor_value_info("x", f, [1, 16, 96])],
        [helper.make_tensor_value_info("score", f, [1, 1])], [start, end, axis, gain, bias, shape])
    _save(graph, folder / MODEL_NAME)
    return folder / MODEL_NAME
