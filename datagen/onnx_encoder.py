"""A faster CPU encode path for sentence-transformers models: the transformer exported to
ONNX, fused by onnxruntime's transformer optimizer and dynamically quantized to int8, run by
onnxruntime with the model's own tokenizer and pooling.

Why not sentence-transformers' `backend="onnx"`: it needs `optimum-onnx`, which pins
transformers < 4.58 and so cannot live beside vLLM and TRL; `torch.onnx` and onnxruntime's
own quantizer do the same job. The exported files are cached per model under
`$DATAGEN_CACHE/onnx/` (written atomically), so a model is exported once (seconds), with the
exporter's warnings silenced (`datagen -v` shows them).

What it covers: BERT-style encoders with mean or CLS pooling (all-MiniLM, bge, e5, gte, ...).
What it does not: GPUs (use torch there), models whose pooling is not mean/CLS.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import shutil
import tempfile
from pathlib import Path

import numpy as np

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _export(st_model, out_dir: Path) -> None:
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    transformer = st_model[0].auto_model.eval()
    names = [k for k in INPUTS if k in st_model.tokenizer.model_input_names]

    class Hidden(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *args):
            return self.m(**dict(zip(names, args, strict=True))).last_hidden_state

    sample = st_model.tokenizer(["an example", "another example sentence"], padding=True, return_tensors="pt")
    raw, fused = out_dir / "model.onnx", out_dir / "model_fused.onnx"
    with torch.no_grad():
        torch.onnx.export(
            Hidden(transformer),
            tuple(sample[k] for k in names),
            str(raw),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={k: {0: "batch", 1: "seq"} for k in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
    src = raw
    cfg = transformer.config
    if getattr(cfg, "model_type", "") in ("bert", "roberta", "xlm-roberta", "mpnet", "distilbert"):
        from onnxruntime.transformers.optimizer import optimize_model

        model_type = "bert" if cfg.model_type != "distilbert" else "distilbert"
        optimize_model(
            str(raw), model_type=model_type, num_heads=cfg.num_attention_heads, hidden_size=cfg.hidden_size
        ).save_model_to_file(str(fused))
        src = fused
    quantize_dynamic(
        str(src),
        str(out_dir / "model_int8.onnx"),
        weight_type=QuantType.QInt8,
        per_channel=True,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    (out_dir / "inputs.txt").write_text("\n".join(names))


@contextlib.contextmanager
def _quiet_export():
    """The exporter's TracerWarnings (tensor-to-bool conversions in transformers' masking code,
    harmless for a fixed-rank encoder), its opset notes and onnxruntime's "consider
    pre-processing" log are not the user's to act on: silenced unless -v."""
    import logging
    import warnings

    from datagen.progress import verbose

    if verbose():
        yield
        return
    was = logging.root.manager.disable
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(max(was, logging.WARNING))
        try:
            yield
        finally:
            logging.disable(was)


def int8_model_dir(model: str, st_model) -> Path:
    from datagen.paths import cache_dir

    key = hashlib.sha256(f"{model}|{Path(model).resolve() if Path(model).exists() else ''}".encode()).hexdigest()[:16]
    final = cache_dir() / "onnx" / key
    if (final / "model_int8.onnx").is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=".export-"))
    try:
        with _quiet_export():
            _export(st_model, tmp)
        if not final.exists():
            tmp.rename(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


class OnnxEncoder:
    def __init__(self, model: str, st_model, threads: int | None = None):
        import onnxruntime as ort

        d = int8_model_dir(model, st_model)
        self.inputs = (d / "inputs.txt").read_text().split()
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(d / "model_int8.onnx"), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = st_model.tokenizer
        self.max_length = st_model.max_seq_length
        pooling = st_model[1].get_config_dict() if len(st_model) > 1 else {}
        self.cls = bool(pooling.get("pooling_mode_cls_token"))

    def encode(self, texts: list[str], batch_size: int = 128) -> np.ndarray:
        order = np.argsort([len(t) for t in texts], kind="stable")
        parts = []
        for start in range(0, len(texts), batch_size):
            batch = [texts[i] for i in order[start : start + batch_size]]
            enc = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length, return_tensors="np")
            hidden = self.session.run(None, {k: enc[k].astype(np.int64) for k in self.inputs})[0]
            if self.cls:
                vec = hidden[:, 0]
            else:
                mask = enc["attention_mask"][..., None].astype(np.float32)
                vec = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            parts.append(vec / np.clip(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12, None))
        if not parts:
            return np.zeros((0, 0), dtype=np.float32)
        out = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        out[order] = np.concatenate(parts)
        return out


@functools.lru_cache(maxsize=2)
def load(model: str, st_model) -> OnnxEncoder:
    return OnnxEncoder(model, st_model)
