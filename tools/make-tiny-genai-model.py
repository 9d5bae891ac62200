#!/usr/bin/python3
"""Writes a tiny decoder-only chat model in ONNX Runtime GenAI's folder format.

The model is a 2-layer, hidden-64 transformer of GenAI's `llama` graph contract
(input_ids, attention_mask, position_ids, past_key_values.{i}.key/value -> logits,
present.{i}.key/value; opset 17, IR 8, float32) with fixed-seed random weights, plus a
byte-level GPT-2-style tokenizer and a chat template. Its text is gibberish, but it runs
through the real ONNX Runtime GenAI runtime, so tests can load, stream, stop and cancel
without downloading a real model.

Uses Debian's python3 with python3-onnx and python3-numpy (apt), nothing else:
    /usr/bin/python3 tools/make-tiny-genai-model.py [OUTPUT_DIR]
The default output is tests/Agents.Tests/Fixtures/tiny-llama. Output is deterministic.
"""

import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

LAYERS = 2
HIDDEN = 64
HEADS = 4
HEAD_SIZE = HIDDEN // HEADS
FFN = 128
CONTEXT_LENGTH = 4096
SEED = 20240601

SPECIAL_TOKENS = ["<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
# A few GPT-2-style merges (byte-level alphabet, 'Ġ' is the space byte) so that BPE merging
# is exercised; each merge result becomes a vocabulary entry.
MERGES = [
    ("Ġ", "t"), ("h", "e"), ("i", "n"), ("Ġ", "a"), ("e", "r"), ("o", "n"),
    ("Ġt", "he"), ("r", "e"), ("Ġ", "s"), ("a", "t"), ("e", "n"), ("Ġ", "w"),
]

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def build_vocab():
    byte_encoder = bytes_to_unicode()
    vocab = {byte_encoder[b]: b for b in range(256)}
    for left, right in MERGES:
        merged = left + right
        assert left in vocab and right in vocab, (left, right)
        if merged not in vocab:
            vocab[merged] = len(vocab)
    specials = {}
    for token in SPECIAL_TOKENS:
        specials[token] = len(vocab) + len(specials)
    return byte_encoder, vocab, specials


def write_tokenizer(out_dir, vocab, specials):
    # Special tokens live in the BPE vocabulary as well as in added_tokens, as in GPT-2's own files.
    vocab = dict(vocab, **specials)
    added = [
        {"id": token_id, "content": token, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for token, token_id in specials.items()
    ]
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
            "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
            "vocab": vocab,
            "merges": [f"{left} {right}" for left, right in MERGES],
        },
    }
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, indent=1)
        f.write("\n")

    config = {
        "tokenizer_class": "GPT2Tokenizer",
        "add_bos_token": False,
        "add_prefix_space": False,
        "bos_token": "<|endoftext|>",
        "eos_token": "<|end|>",
        "unk_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
        "model_max_length": CONTEXT_LENGTH,
        "clean_up_tokenization_spaces": False,
        "chat_template": CHAT_TEMPLATE,
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=1)
        f.write("\n")


def write_genai_config(out_dir, vocab_size, specials):
    config = {
        "model": {
            "type": "llama",
            "bos_token_id": specials["<|endoftext|>"],
            "eos_token_id": specials["<|end|>"],
            "pad_token_id": specials["<|endoftext|>"],
            "vocab_size": vocab_size,
            "context_length": CONTEXT_LENGTH,
            "decoder": {
                "filename": "model.onnx",
                "session_options": {"log_id": "onnxruntime-genai", "provider_options": []},
                "head_size": HEAD_SIZE,
                "hidden_size": HIDDEN,
                "num_attention_heads": HEADS,
                "num_key_value_heads": HEADS,
                "num_hidden_layers": LAYERS,
                "inputs": {
                    "input_ids": "input_ids",
                    "attention_mask": "attention_mask",
                    "position_ids": "position_ids",
                    "past_key_names": "past_key_values.%d.key",
                    "past_value_names": "past_key_values.%d.value",
                },
                "outputs": {
                    "logits": "logits",
                    "present_key_names": "present.%d.key",
                    "present_value_names": "present.%d.value",
                },
            },
        },
        "search": {
            "do_sample": False,
            "num_beams": 1,
            "num_return_sequences": 1,
            "max_length": CONTEXT_LENGTH,
            "min_length": 0,
            "past_present_share_buffer": False,
            "repetition_penalty": 1.0,
            "temperature": 1.0,
            "top_k": 1,
            "top_p": 1.0,
        },
    }
    with open(os.path.join(out_dir, "genai_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
        f.write("\n")


class GraphBuilder:
    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.initializers = []
        self.counter = 0

    def name(self, prefix):
        self.counter += 1
        return f"{prefix}_{self.counter}"

    def const(self, prefix, array):
        name = self.name(prefix)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, prefix, shape, scale):
        return self.const(prefix, (self.rng.standard_normal(shape) * scale).astype(np.float32))

    def op(self, op_type, inputs, prefix=None, **attrs):
        out = self.name(prefix or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def op_to(self, op_type, inputs, output, **attrs):
        self.nodes.append(helper.make_node(op_type, inputs, [output], **attrs))
        return output

    def layer_norm(self, x):
        scale = self.const("ln_scale", np.ones(HIDDEN, np.float32))
        bias = self.const("ln_bias", np.zeros(HIDDEN, np.float32))
        return self.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=1e-5)

    def linear(self, x, n_in, n_out):
        return self.op("MatMul", [x, self.weight("w", (n_in, n_out), 1.0 / np.sqrt(n_in))])


def build_model(vocab_size, byte_encoder, vocab, specials):
    rng = np.random.default_rng(SEED)
    g = GraphBuilder(rng)

    # Token embeddings plus sinusoidal positions computed from position_ids (no position table).
    embedding = g.weight("embed", (vocab_size, HIDDEN), 1.0)
    x = g.op("Gather", [embedding, "input_ids"], axis=0)
    freqs = (10000.0 ** (-np.arange(HIDDEN // 2, dtype=np.float32) * 2.0 / HIDDEN)).astype(np.float32)
    pos = g.op("Cast", ["position_ids"], to=TensorProto.FLOAT)
    pos = g.op("Unsqueeze", [pos, g.const("axes", np.array([-1], np.int64))])
    angles = g.op("Mul", [pos, g.const("freqs", freqs)])
    pe = g.op("Concat", [g.op("Sin", [angles]), g.op("Cos", [angles])], axis=-1)
    x = g.op("Add", [x, pe])

    # Causal mask over past + current positions, combined with the attention mask: [b, 1, s, total].
    seq_len = g.op("Squeeze", [g.op("Shape", ["input_ids"], start=1, end=2)])
    total_len = g.op("Squeeze", [g.op("Shape", ["attention_mask"], start=1, end=2)])
    past_len = g.op("Sub", [total_len, seq_len])
    one = g.const("one", np.array(1, np.int64))
    zero = g.const("zero", np.array(0, np.int64))
    q_pos = g.op("Unsqueeze", [g.op("Range", [past_len, total_len, one]), g.const("axes", np.array([1], np.int64))])
    k_pos = g.op("Unsqueeze", [g.op("Range", [zero, total_len, one]), g.const("axes", np.array([0], np.int64))])
    causal = g.op("LessOrEqual", [k_pos, q_pos])
    padding = g.op("Unsqueeze", [g.op("Cast", ["attention_mask"], to=TensorProto.BOOL),
                                 g.const("axes", np.array([1, 2], np.int64))])
    mask = g.op("And", [causal, padding])
    neg = g.const("neg", np.array(-1e9, np.float32))

    split_heads_shape = g.const("shape", np.array([0, 0, HEADS, HEAD_SIZE], np.int64))
    merge_heads_shape = g.const("shape", np.array([0, 0, HIDDEN], np.int64))
    inv_sqrt = g.const("scale", np.array(1.0 / np.sqrt(HEAD_SIZE), np.float32))

    for i in range(LAYERS):
        h = g.layer_norm(x)

        def heads(t):
            return g.op("Transpose", [g.op("Reshape", [t, split_heads_shape])], perm=[0, 2, 1, 3])

        q = heads(g.linear(h, HIDDEN, HIDDEN))
        k = heads(g.linear(h, HIDDEN, HIDDEN))
        v = heads(g.linear(h, HIDDEN, HIDDEN))
        k_all = g.op_to("Concat", [f"past_key_values.{i}.key", k], f"present.{i}.key", axis=2)
        v_all = g.op_to("Concat", [f"past_key_values.{i}.value", v], f"present.{i}.value", axis=2)
        scores = g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k_all], perm=[0, 1, 3, 2])]), inv_sqrt])
        scores = g.op("Where", [mask, scores, neg])
        attn = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v_all])
        attn = g.op("Reshape", [g.op("Transpose", [attn], perm=[0, 2, 1, 3]), merge_heads_shape])
        x = g.op("Add", [x, g.linear(attn, HIDDEN, HIDDEN)])

        h = g.layer_norm(x)
        h = g.op("Relu", [g.linear(h, HIDDEN, FFN)])
        x = g.op("Add", [x, g.linear(h, FFN, HIDDEN)])

    x = g.layer_norm(x)
    # Bias the output towards ASCII letters, digits, spaces and a little punctuation so the
    # gibberish is word-like and valid UTF-8, and never pick a special token: generation always
    # runs to the length limit, which makes token counts in tests exact.
    allowed = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,")
    bias = np.full(vocab_size, -30.0, np.float32)
    byte_decoder = {c: b for b, c in byte_encoder.items()}
    for token, token_id in vocab.items():
        if all(byte_decoder[c] in allowed for c in token):
            bias[token_id] = 0.0
    logits = g.op("Add", [g.linear(x, HIDDEN, vocab_size), g.const("logit_bias", bias)])
    g.op_to("Identity", [logits], "logits")

    def tensor(name, elem, shape):
        return helper.make_tensor_value_info(name, elem, shape)

    inputs = [
        tensor("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
        tensor("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
        tensor("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
    ]
    outputs = [tensor("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", vocab_size])]
    for i in range(LAYERS):
        for kind in ("key", "value"):
            inputs.append(tensor(f"past_key_values.{i}.{kind}", TensorProto.FLOAT,
                                 ["batch_size", HEADS, "past_sequence_length", HEAD_SIZE]))
            outputs.append(tensor(f"present.{i}.{kind}", TensorProto.FLOAT,
                                  ["batch_size", HEADS, "total_sequence_length", HEAD_SIZE]))

    graph = helper.make_graph(g.nodes, "tiny_llama", inputs, outputs, g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="kqa-tiny-genai")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo_root, "tests", "Agents.Tests", "Fixtures", "tiny-llama")
    os.makedirs(out_dir, exist_ok=True)
    byte_encoder, vocab, specials = build_vocab()
    vocab_size = len(vocab) + len(specials)
    write_tokenizer(out_dir, vocab, specials)
    write_genai_config(out_dir, vocab_size, specials)
    model = build_model(vocab_size, byte_encoder, vocab, specials)
    onnx.save(model, os.path.join(out_dir, "model.onnx"))
    print(f"wrote {out_dir}: vocab {vocab_size}, {LAYERS} layers, hidden {HIDDEN}")


if __name__ == "__main__":
    main()
