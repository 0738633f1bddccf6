"""Writes a small ONNX model using every op the importer converts (seed for the fuzz_onnx target).
usage: python3 make_onnx_seed.py OUT.onnx"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)


def w(name, *shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


inits = [w("c1_w", 4, 3, 3, 3), w("c1_b", 4), w("bn_s", 4), w("bn_b", 4), w("bn_m", 4),
         numpy_helper.from_array(np.abs(rng.standard_normal(4)).astype(np.float32) + 0.5, "bn_v"),
         w("dw_w", 4, 1, 3, 3), w("fc_w", 10, 8), w("fc_b", 10), w("mm_w", 10, 10),
         numpy_helper.from_array(np.array(0.0, np.float32), "lo"), numpy_helper.from_array(np.array(6.0, np.float32), "hi"),
         numpy_helper.from_array(np.array([1, -1], np.int64), "shape"), w("k", 1, 10),
         numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 0, 0, 0], np.int64), "pads"),
         numpy_helper.from_array(np.array([0], np.int64), "s0"), numpy_helper.from_array(np.array([8], np.int64), "s1"),
         numpy_helper.from_array(np.array([1], np.int64), "ax")]
n = helper.make_node
nodes = [
    n("Conv", ["x", "c1_w", "c1_b"], ["c1"], pads=[1, 1, 1, 1], strides=[1, 1]),
    n("BatchNormalization", ["c1", "bn_s", "bn_b", "bn_m", "bn_v"], ["bn"]),
    n("Relu", ["bn"], ["r"]),
    n("Clip", ["r", "lo", "hi"], ["r6"]),
    n("MaxPool", ["r6"], ["mp"], kernel_shape=[2, 2], strides=[2, 2]),
    n("Conv", ["mp", "dw_w"], ["dw"], group=4, pads=[1, 1, 1, 1]),
    n("LeakyRelu", ["dw"], ["lr"], alpha=0.1),
    n("Add", ["lr", "mp"], ["add"]),
    n("Pad", ["add", "pads"], ["pad"]),
    n("AveragePool", ["pad"], ["ap"], kernel_shape=[2, 2], strides=[2, 2]),
    n("Identity", ["ap"], ["id"]),
    n("Dropout", ["id"], ["dr"]),
    n("Concat", ["dr", "ap"], ["cat"], axis=1),
    n("Slice", ["cat", "s0", "s1", "ax"], ["sl"]),
    n("GlobalMaxPool", ["sl"], ["gm"]),
    n("GlobalAveragePool", ["sl"], ["ga"]),
    n("Sub", ["gm", "ga"], ["sub"]),
    n("Flatten", ["sub"], ["fl"], axis=1),
    n("Gemm", ["fl", "fc_w", "fc_b"], ["fc"], transB=1),
    n("MatMul", ["fc", "mm_w"], ["mm"]),
    n("Constant", [], ["two"], value=numpy_helper.from_array(np.array(2.0, np.float32))),
    n("Mul", ["mm", "k"], ["mul"]),
    n("Div", ["mul", "two"], ["div"]),
    n("Sigmoid", ["div"], ["sg"]),
    n("Reshape", ["sg", "shape"], ["rs"]),
    n("Softmax", ["rs"], ["y"], axis=1),
]
graph = helper.make_graph(nodes, "fuzz_seed", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
