# The native baseline of bench/lm.ts: the same geometries with random weights in
# transformers + PyTorch (CUDA, float16), prompt 512, 64 greedy tokens, on the GPU machine.
import json, time, torch
from transformers import AutoConfig, AutoModelForCausalLM

CONFIGS = {
    "Llama-3.2-1B": dict(model_type="llama", hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32,
                         num_key_value_heads=8, head_dim=64, vocab_size=128256, rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=True),
    "Qwen2.5-0.5B": dict(model_type="qwen2", hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                         num_key_value_heads=2, vocab_size=151936, rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True),
}
rows = []
for name, c in CONFIGS.items():
    c = dict(c)
    mt = c.pop("model_type")
    model = AutoModelForCausalLM.from_config(AutoConfig.for_model(mt, **c), torch_dtype=torch.float16).cuda().eval()
    ids = torch.tensor([[(i * 7919) % c["vocab_size"] for i in range(512)]], device="cuda")
    with torch.no_grad():
        for _ in range(2):
            model.generate(ids, max_new_tokens=8, min_new_tokens=8, do_sample=False, pad_token_id=0)
        torch.cuda.synchronize(); t0 = time.perf_counter()
        model(ids)
        torch.cuda.synchronize(); pre = time.perf_counter() - t0
        t0 = time.perf_counter()
        model.generate(ids, max_new_tokens=1, min_new_tokens=1, do_sample=False, pad_token_id=0)
        torch.cuda.synchronize(); one = time.perf_counter() - t0
        t0 = time.perf_counter()
        model.generate(ids, max_new_tokens=65, min_new_tokens=65, do_sample=False, pad_token_id=0)
        torch.cuda.synchronize(); full = time.perf_counter() - t0
    dec = (full - one) / 64
    rows.append(dict(model=name, weights="float16", prefillTokS=round(512 / pre), decodeTokS=round(1 / dec, 1)))
    print(rows[-1], flush=True)
    del model; torch.cuda.empty_cache()
print("JSON", json.dumps(dict(torch=torch.__version__, rows=rows)))
