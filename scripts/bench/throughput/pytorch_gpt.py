#!/usr/bin/env python3
"""The PyTorch eager twin of `trainsage pretrain` for the throughput benchmark (run.sh).

Reads the same recipe YAML and `--set key=value` overrides as the C# CLI and repeats, step for step, what
src/TrainSage.Training/Trainer.cs does with the GPT-2 flavour of src/TrainSage.Models:

- model: learned positions, pre-norm LayerNorm (eps 1e-5, bias as configured), tanh-GELU MLP, tied output head,
  dropout on the embeddings and on each branch before its residual add (none inside attention), GPT-2 init;
- bf16 the way the C# model does it, not autocast: parameters stay fp32, every linear casts its input, weight and
  bias to bf16; the residual stream, norms, softmax and loss stay fp32 (the logits matmul runs in bf16 and is
  cast to fp32, as in GPT.forward);
- attention: `flash` is scaled_dot_product_attention with only the flash backend enabled (so it fails rather than
  falling back), `math` is the C# ExactCausalAttention (bf16 scores to fp32, masked softmax, bf16 product with v);
- step: zero_grad; per micro-batch forward, loss / grad_accum, backward, loss.item(); clip_grad_norm_ with the
  norm read back to the host (the C# trainer reads it to skip a non-finite step); AdamW with weight decay on
  linear weights only; warmup + cosine LR set before each step;
- timing: a step's tokens_per_s is batch * seq_len over the host time from its start (LR, batch sampling,
  host-to-device copy) to the return of optimizer.step(), as Trainer.cs measures it.

Writes the lines of metrics.jsonl (same keys as TrainSage's) to --metrics and a .meta.json beside it.
Only the training loop is mirrored: evaluation and checkpoints are not (run.sh turns them off on both sides).
"""
import argparse
import glob
import json
import math
import os
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml

# TrainSage's defaults for the keys this script reads (src/TrainSage.Training/Recipes/Recipe.cs and
# src/TrainSage.Models/ModelConfig.cs), so that a recipe which omits a key means the same thing on both sides.
DEFAULTS = {
    "seed": 1337,
    "device": "cpu",
    "model": {"flavour": "gpt2", "vocab_size": 50304, "n_layer": 12, "n_head": 12, "n_embd": 768, "block_size": 1024,
              "dropout": 0.0, "bias": False, "tie_embeddings": None, "mlp_hidden": None,
              "attention": {"default": "math", "layers": {}}},
    "data": {"inputs": [], "tokenizer": "byte", "val_fraction": 0.1, "jsonl_field": "text"},
    "training": {"max_steps": 1000, "batch_size": 32, "seq_len": None, "grad_accum": 1, "grad_clip": 1.0,
                 "precision": "fp32", "log_interval": 10},
    "optimizer": {"lr": 6e-4, "min_lr": 6e-5, "warmup_steps": 100, "decay_steps": None, "beta1": 0.9, "beta2": 0.95,
                  "eps": 1e-8, "weight_decay": 0.1},
    "eval": {"interval": 250, "batches": 20},
}
ADAMW_IMPLEMENTATIONS = {"default": {}, "foreach": {"foreach": True}, "for-loop": {"foreach": False}, "fused": {"fused": True}}


def fail(message):
    sys.exit(f"pytorch_gpt.py: {message}")


# ---- recipe ------------------------------------------------------------------------------------------------------

class RecipeYaml(yaml.SafeLoader):
    """PyYAML reads YAML 1.1, where 1e-3 (no dot) is a string; YamlDotNet, which reads recipes for TrainSage, takes
    it for a number, and so does this loader."""


RecipeYaml.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
                                 list("-+0123456789."))


def merged(defaults, given):
    result = dict(defaults)
    for key, value in (given or {}).items():
        result[key] = merged(defaults[key], value) if isinstance(defaults.get(key), dict) and isinstance(value, dict) else value
    return result


def load_recipe(path, overrides):
    """The recipe with `a.b.c=value` overrides applied (values read as YAML, as RecipeLoader does), over the defaults."""
    with open(path, encoding="utf-8") as f:
        tree = yaml.load(f, Loader=RecipeYaml) or {}
    for assignment in overrides:
        key, eq, value = assignment.partition("=")
        if not eq or not key.strip():
            fail(f"an override is written key=value, e.g. --set training.max_steps=200; got '{assignment}'")
        *parents, leaf = key.strip().split(".")
        node = tree
        for name in parents:
            if not isinstance(node.get(name), dict):
                node[name] = {}
            node = node[name]
        node[leaf] = yaml.load(value, Loader=RecipeYaml) if value.strip() else ""
    recipe = merged(DEFAULTS, tree)
    if str(recipe["model"]["flavour"]).lower() != "gpt2":
        fail(f"model.flavour is '{recipe['model']['flavour']}'; this twin implements only gpt2")
    return recipe


# ---- data --------------------------------------------------------------------------------------------------------

def train_tokens(recipe, recipe_dir):
    """The training split (the first 1 - val_fraction of the corpus) as int64 ids, tokenized as the recipe says."""
    data = recipe["data"]
    paths = sorted({p for pattern in data["inputs"] for p in glob.glob(os.path.join(recipe_dir, pattern), recursive=True)})
    if not paths:
        fail(f"data.inputs {data['inputs']} matches no file (globs are relative to {recipe_dir})")
    texts = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            texts.append([json.loads(line)[data["jsonl_field"]] for line in f if line.strip()] if path.endswith(".jsonl") else [f.read()])
    text = "".join(t for group in texts for t in group)
    kind = str(data["tokenizer"]).lower()
    if kind == "char":  # TrainSage's char tokenizer: the corpus's distinct characters in code-point order
        codes = torch.frombuffer(bytearray(text.encode("utf-32-le")), dtype=torch.int32)
        _, ids = torch.unique(codes, sorted=True, return_inverse=True)
        vocab = int(ids.max()) + 1
    elif kind == "byte":
        ids, vocab = torch.frombuffer(bytearray(text.encode("utf-8")), dtype=torch.uint8), 256
    else:
        fail(f"data.tokenizer '{kind}' is not mirrored here; use char or byte (tokens are tokens for throughput)")
    if vocab > recipe["model"]["vocab_size"]:
        fail(f"the {kind} tokenizer has {vocab} tokens but model.vocab_size is {recipe['model']['vocab_size']}")
    ids = ids.to(torch.int64)
    return ids[: int(len(ids) * (1 - data["val_fraction"]))]


def sample_batch(tokens, rows, seq_len, generator):
    """Random (input, target) windows of seq_len tokens, on the CPU."""
    starts = torch.randint(len(tokens) - seq_len, (rows,), generator=generator)
    windows = tokens[starts[:, None] + torch.arange(seq_len + 1)]
    return windows[:, :-1], windows[:, 1:]


# ---- model -------------------------------------------------------------------------------------------------------

def project(layer, x, dtype):
    """x W^T + b with input, weight and bias cast to the compute dtype; the parameters stay fp32 (master weights)."""
    bias = None if layer.bias is None else layer.bias.to(dtype)
    return F.linear(x.to(dtype), layer.weight.to(dtype), bias)


def flash_attention(q, k, v):
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def math_attention(q, k, v):
    scores = (q @ k.transpose(-2, -1)).float() * (1.0 / math.sqrt(q.size(-1)))
    tokens = q.size(2)
    future = torch.ones(tokens, tokens, dtype=torch.bool, device=q.device).triu(1)  # [query, key]: key after query
    return torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1).to(v.dtype) @ v


ATTENTION = {"flash": flash_attention, "math": math_attention}


class LayerNorm(nn.Module):
    """LayerNorm with an optional bias (nn.LayerNorm's bias flag needs PyTorch 2.1)."""

    def __init__(self, width, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))
        self.bias = nn.Parameter(torch.zeros(width)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class Attention(nn.Module):
    def __init__(self, cfg, backend):
        super().__init__()
        self.heads = cfg["n_head"]
        self.c_attn = nn.Linear(cfg["n_embd"], 3 * cfg["n_embd"], bias=cfg["bias"])
        self.c_proj = nn.Linear(cfg["n_embd"], cfg["n_embd"], bias=cfg["bias"])
        self.attend = ATTENTION[backend]

    def forward(self, x, dtype):
        batch, tokens, width = x.shape
        q, k, v = (t.view(batch, tokens, self.heads, width // self.heads).transpose(1, 2)
                   for t in project(self.c_attn, x, dtype).split(width, dim=2))
        y = self.attend(q, k, v).transpose(1, 2).reshape(batch, tokens, width)
        return project(self.c_proj, y, dtype)


class Mlp(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        hidden = cfg["mlp_hidden"] or 4 * cfg["n_embd"]
        self.c_fc = nn.Linear(cfg["n_embd"], hidden, bias=cfg["bias"])
        self.c_proj = nn.Linear(hidden, cfg["n_embd"], bias=cfg["bias"])

    def forward(self, x, dtype):
        return project(self.c_proj, F.gelu(project(self.c_fc, x, dtype), approximate="tanh"), dtype)


class Block(nn.Module):
    def __init__(self, cfg, backend):
        super().__init__()
        self.ln_1, self.attn = LayerNorm(cfg["n_embd"], cfg["bias"]), Attention(cfg, backend)
        self.ln_2, self.mlp = LayerNorm(cfg["n_embd"], cfg["bias"]), Mlp(cfg)
        self.resid_dropout = nn.Dropout(cfg["dropout"])

    def forward(self, x, dtype):
        h = x + self.resid_dropout(self.attn(self.ln_1(x), dtype))  # fp32 + bf16 promotes: the stream stays fp32
        return h + self.resid_dropout(self.mlp(self.ln_2(h), dtype))


class GPT(nn.Module):
    """Module names as TrainSage's (Hugging Face GPT-2's), so parameter names match: transformer.h.0.attn.c_attn.weight."""

    def __init__(self, cfg, backends):
        super().__init__()
        self.cfg = cfg
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(cfg["vocab_size"], cfg["n_embd"]),
            wpe=nn.Embedding(cfg["block_size"], cfg["n_embd"]),
            drop=nn.Dropout(cfg["dropout"]),
            h=nn.ModuleList(Block(cfg, backend) for backend in backends),
            ln_f=LayerNorm(cfg["n_embd"], cfg["bias"])))
        tied = cfg["tie_embeddings"] is None or cfg["tie_embeddings"]
        self.lm_head = None if tied else nn.Linear(cfg["n_embd"], cfg["vocab_size"], bias=False)
        self.compute_dtype = torch.float32
        # GPT-2 init, as GPT.InitializeWeights: N(0, 0.02) for linear and embedding weights, zero biases, and the
        # projections into the residual stream scaled by 1 / sqrt(2 n_layer).
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, 0.0, 0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
        for block in self.transformer.h:
            for proj in (block.attn.c_proj, block.mlp.c_proj):
                nn.init.normal_(proj.weight, 0.0, 0.02 / math.sqrt(2 * cfg["n_layer"]))

    def loss(self, idx, targets):
        body = self.transformer
        x = body.drop(body.wte(idx) + body.wpe(torch.arange(idx.size(1), device=idx.device)))
        for block in body.h:
            x = block(x, self.compute_dtype)
        head = body.wte.weight if self.lm_head is None else self.lm_head.weight
        logits = F.linear(body.ln_f(x).to(self.compute_dtype), head.to(self.compute_dtype)).float()
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)

    def non_embedding_parameters(self):
        """GPT.num_parameters(): all parameters but the position table (and the token table when untied)."""
        total = sum(p.numel() for p in self.parameters()) - self.transformer.wpe.weight.numel()
        return total - (self.transformer.wte.weight.numel() if self.lm_head is not None else 0)

    def parameter_groups(self, weight_decay):
        """AdamW groups as GPT.parameter_groups: decay on linear weights; none on norms, biases, embeddings."""
        linear = {id(m.weight) for m in self.modules() if isinstance(m, nn.Linear)}
        params = list(self.parameters())
        return [{"params": [p for p in params if id(p) in linear], "weight_decay": weight_decay},
                {"params": [p for p in params if id(p) not in linear], "weight_decay": 0.0}]


def layer_backends(model_cfg):
    attention = model_cfg["attention"]
    overrides = {int(layer): name for layer, name in (attention.get("layers") or {}).items()}
    backends = [overrides.get(layer, attention.get("default", "math")) for layer in range(model_cfg["n_layer"])]
    for layer, name in enumerate(backends):
        if name not in ATTENTION:
            fail(f"layer {layer} uses attention '{name}'; this twin has {', '.join(ATTENTION)}")
    if "flash" in backends and not hasattr(F, "scaled_dot_product_attention"):
        fail(f"attention flash needs scaled_dot_product_attention (PyTorch 2.0 or newer); this is PyTorch {torch.__version__}")
    return backends


# ---- training ----------------------------------------------------------------------------------------------------

def cosine_lr(step, opt, max_steps):
    """CosineSchedule.At: linear warmup to the peak, then cosine decay to min_lr."""
    peak, floor, warmup = opt["lr"], opt["min_lr"], opt["warmup_steps"]
    decay = max_steps if opt["decay_steps"] is None else opt["decay_steps"]
    if step < warmup:
        return peak * (step + 1) / (warmup + 1)
    if step >= decay:
        return floor
    ratio = (step - warmup) / max(1, decay - warmup)
    return floor + 0.5 * (1 + math.cos(math.pi * ratio)) * (peak - floor)


def adamw_implementation(optimizer, choice):
    """Which AdamW implementation runs: the explicit choice, or what PyTorch's default resolves to."""
    if choice != "default":
        return choice
    try:
        from torch.optim.optimizer import _default_to_fused_or_foreach
        params = [p for group in optimizer.param_groups for p in group["params"]]
        fused, foreach = _default_to_fused_or_foreach(params, differentiable=False, use_fused=False)
        return "default (fused)" if fused else "default (foreach)" if foreach else "default (for-loop)"
    except (ImportError, TypeError):
        return "default"


def restrict_sdpa_to_flash():
    """Leaves scaled_dot_product_attention only the flash backend (as the CLI's `flash`), so that it fails loudly
    instead of falling back to another kernel."""
    torch.backends.cuda.enable_flash_sdp(True)
    torch.backends.cuda.enable_mem_efficient_sdp(False)
    torch.backends.cuda.enable_math_sdp(False)
    if hasattr(torch.backends.cuda, "enable_cudnn_sdp"):
        torch.backends.cuda.enable_cudnn_sdp(False)


def train_step(model, optimizer, tokens, settings, device, generator):
    """Trainer.TrainStep: one optimizer step over the global batch; returns (loss, grad norm)."""
    training = settings["training"]
    model.train()
    optimizer.zero_grad()
    inputs, targets = sample_batch(tokens, training["batch_size"], settings["seq_len"], generator)
    accum = training["grad_accum"]
    rows = training["batch_size"] // accum
    loss = 0.0
    for micro in range(accum):
        x, y = (t[micro * rows:(micro + 1) * rows].to(device) for t in (inputs, targets))
        micro_loss = model.loss(x, y) / accum
        micro_loss.backward()
        loss += micro_loss.item()
    clip = training["grad_clip"] if training["grad_clip"] > 0 else float("inf")
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip).item()
    if math.isfinite(loss) and math.isfinite(grad_norm):
        optimizer.step()
    return loss, grad_norm


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe", help="the recipe YAML that `trainsage pretrain` is given")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="recipe override, as the CLI's")
    parser.add_argument("--metrics", required=True, help="where to write the per-step JSON lines")
    parser.add_argument("--adamw", choices=sorted(ADAMW_IMPLEMENTATIONS), default="default",
                        help="torch.optim.AdamW implementation: PyTorch's default choice, or foreach/for-loop/fused")
    args = parser.parse_args()

    recipe = load_recipe(args.recipe, args.set)
    model_cfg, training, opt = recipe["model"], recipe["training"], recipe["optimizer"]
    settings = dict(recipe, seq_len=training["seq_len"] or model_cfg["block_size"])
    if training["batch_size"] % training["grad_accum"]:
        fail(f"training.batch_size {training['batch_size']} must be a multiple of training.grad_accum {training['grad_accum']}")
    if recipe["eval"]["interval"] > 0:
        print("note: eval.interval > 0, but this twin does not evaluate; set eval.interval=0 on both sides", flush=True)
    device = torch.device("cuda:0" if recipe["device"] == "cuda" else "cpu")
    backends = layer_backends(model_cfg)
    if device.type == "cuda" and "flash" in backends:
        restrict_sdpa_to_flash()

    torch.manual_seed(recipe["seed"])
    tokens = train_tokens(recipe, os.path.dirname(os.path.abspath(args.recipe)))
    model = GPT(model_cfg, backends).to(device)
    bf16 = device.type == "cuda" and str(training["precision"]).lower() == "bf16"  # fp32 on CPU, as the trainer
    model.compute_dtype = torch.bfloat16 if bf16 else torch.float32
    optimizer = torch.optim.AdamW(model.parameter_groups(opt["weight_decay"]), lr=opt["lr"],
                                  betas=(opt["beta1"], opt["beta2"]), eps=opt["eps"], **ADAMW_IMPLEMENTATIONS[args.adamw])
    tokens_per_step = training["batch_size"] * settings["seq_len"]
    flops_per_token = 6.0 * model.non_embedding_parameters() + \
        12.0 * model_cfg["n_layer"] * model_cfg["n_embd"] * settings["seq_len"]  # GPT.estimate_flops_per_token
    meta = {
        "framework": "pytorch", "torch": torch.__version__, "cuda": torch.version.cuda,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "adamw": adamw_implementation(optimizer, args.adamw), "attention": backends[0] if len(set(backends)) == 1 else backends,
        "compute_dtype": str(model.compute_dtype).replace("torch.", ""), "non_embedding_parameters": model.non_embedding_parameters(),
        "flops_per_token": flops_per_token, "tokens_per_step": tokens_per_step, "recipe": args.recipe, "overrides": args.set,
    }
    print(f"pytorch eager: {meta['non_embedding_parameters']:,} parameters, attention {meta['attention']}, "
          f"{meta['compute_dtype']}, AdamW {meta['adamw']}; {training['max_steps']} steps of {training['batch_size']} x "
          f"{settings['seq_len']} tokens on {meta['device']} (torch {torch.__version__})", flush=True)

    os.makedirs(os.path.dirname(os.path.abspath(args.metrics)), exist_ok=True)
    with open(os.path.splitext(args.metrics)[0] + ".meta.json", "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
    with open(args.metrics, "w", encoding="utf-8") as metrics:
        train(model, optimizer, tokens, settings, device, torch.Generator().manual_seed(recipe["seed"]), metrics)


def train(model, optimizer, tokens, settings, device, generator, metrics):
    """Trainer.Run's loop without evaluation and checkpoints: LR, step, divergence check, a metrics line per log_interval."""
    training, opt = settings["training"], settings["optimizer"]
    tokens_per_step = training["batch_size"] * settings["seq_len"]
    clock = time.perf_counter()
    seen = 0
    for step in range(1, training["max_steps"] + 1):
        started = time.perf_counter()
        lr = cosine_lr(step - 1, opt, training["max_steps"])
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss, grad_norm = train_step(model, optimizer, tokens, settings, device, generator)
        if not (math.isfinite(loss) and math.isfinite(grad_norm)):
            fail(f"the loss became {loss} (gradient norm {grad_norm}) at step {step}")
        now = time.perf_counter()
        seen += tokens_per_step
        record = {"step": step, "tokens": seen, "wall_time_s": now - clock, "train_loss": loss, "val_loss": None,
                  "lr": lr, "grad_norm": grad_norm, "tokens_per_s": tokens_per_step / (now - started)}
        if step % training["log_interval"] == 0 or step == training["max_steps"]:
            metrics.write(json.dumps(record) + "\n")
            print(f"step {step}: loss {loss:.4f}, {1000 * (now - started):.1f} ms, {record['tokens_per_s']:,.0f} tokens/s", flush=True)


if __name__ == "__main__":
    main()
