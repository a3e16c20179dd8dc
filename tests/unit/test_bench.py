import numpy as np

from assistant.bench import format_table, percentile, reply_gap_s, summarize


def test_summary_separates_the_cold_turn_and_reports_median_and_p95():
    samples = [{"clip": "a", "run": 0, "cold": True, "outcome": "completed", "voice_to_voice": 3000.0}]
    samples += [{"clip": "a", "run": i, "cold": False, "outcome": "completed", "voice_to_voice": float(v)}
                for i, v in enumerate([1000, 1100, 1200, 1300, 5000], start=1)]
    samples.append({"clip": "b", "run": 9, "cold": False, "outcome": "no-speech"})
    result = summarize(samples, load_s=12.3)
    row = result["stages_ms"]["voice_to_voice"]
    assert row["median"] == 1200.0 and row["cold"] == 3000.0 and row["n"] == 5
    assert row["p95"] == percentile([1000, 1100, 1200, 1300, 5000], 0.95) > 4000
    assert result["completed"] == 6 and result["turns"] == 7
    assert "voice_to_voice" in format_table(result)


def test_the_silence_inside_a_reply_counts_only_where_the_next_piece_came_late():
    second = np.zeros(16000, np.float32)  # 1 s at 16 kHz
    back_to_back = [(10.0, second, 16000), (11.0, second, 16000), (12.0, second[:8000], 16000)]
    assert reply_gap_s(back_to_back) == 0.0
    late = [(10.0, second, 16000), (11.25, second, 16000), (12.25, second, 16000), (13.5, second, 16000)]
    assert abs(reply_gap_s(late) - 0.5) < 1e-9
    assert reply_gap_s(late[:1]) == 0.0 and reply_gap_s([]) == 0.0


def test_the_summary_reports_the_silence_inside_warm_replies():
    samples = [{"clip": "a", "run": 0, "cold": True, "outcome": "completed", "reply_gap_ms": 900.0}]
    samples += [{"clip": "a", "run": i, "cold": False, "outcome": "completed", "reply_gap_ms": float(v)}
                for i, v in enumerate([0, 0, 0, 120], start=1)]
    samples.append({"clip": "b", "run": 5, "cold": False, "outcome": "completed"})  # two turns: not measured
    gap = summarize(samples, load_s=1.0)["reply_gap_ms"]
    assert gap == {"median": 0.0, "p95": round(percentile([0, 0, 0, 120], 0.95), 1), "n": 4, "with_gap": 1}
    assert "1 of 4 replies had some" in format_table(summarize(samples, load_s=1.0))


def test_the_waterfall_draws_one_row_per_path_that_ran(tmp_path):
    from PIL import Image

    from assistant.bench import plot_waterfall

    stages = {k: {"median": v, "p95": v, "n": 3, "cold": v} for k, v in
              [("end_of_speech_detected", 480.0), ("stt", 481.0), ("llm_first_token", 550.0),
               ("first_sentence", 570.0), ("first_audio", 640.0), ("voice_to_voice", 640.0)]}
    base = {k: {"median": v, "p95": v, "n": 3, "cold": v} for k, v in
            [("end_of_speech_detected", 470.0), ("stt", 700.0), ("llm_reply", 1400.0), ("tts_all", 1500.0),
             ("voice_to_voice", 1500.0)]}
    hw = {"machine": "x86_64", "cpu_cores": 16, "gpu": "H200"}
    alone = plot_waterfall({"hardware": hw, "stages_ms": stages}, tmp_path / "alone.png")
    both = plot_waterfall({"hardware": hw, "stages_ms": stages, "sequential_ms": base}, tmp_path / "both.png")
    # without a baseline there is no empty "sequential" row: the figure is a row shorter
    assert Image.open(alone).height < Image.open(both).height


def test_compare_takes_one_vad_setting_checked_like_a_settings_file():
    import pytest

    from assistant.bench import compare_config
    from assistant.config import Config
    from assistant.contracts.errors import ConfigError, InputError

    config = Config()
    assert compare_config(config, "vad.speculative_stt_ms=50").vad.speculative_stt_ms == 50
    assert compare_config(config, "vad.speculative_stt_ms=50").llm == config.llm
    for wrong in ("llm.max_new_tokens=20", "speculative_stt_ms=50", "vad.speculative_stt_ms"):
        with pytest.raises(InputError, match=r"vad\.NAME=VALUE"):
            compare_config(config, wrong)
    with pytest.raises(ConfigError, match="speculative_stt_ms"):
        compare_config(config, "vad.speculative_stt_ms=-5")
    with pytest.raises(ConfigError, match=r"vad\.no_such"):
        compare_config(config, "vad.no_such=1")


def test_paired_differences_leave_out_the_cold_turns_and_missing_marks():
    from assistant.bench import paired

    base = [{"cold": True, "voice_to_voice": 3000.0}] + [{"cold": False, "voice_to_voice": v, "transcript": "a"}
                                                        for v in (1000.0, 1200.0, 1100.0)]
    other = [{"cold": True, "voice_to_voice": 900.0}, {"cold": False, "voice_to_voice": 900.0, "transcript": "a"},
             {"cold": False, "voice_to_voice": 1000.0, "transcript": "b", "turns": 2}, {"cold": False}]
    result = paired("vad.x=1", base, other)
    assert result["pairs"] == 3 and result["paired_median_diff_ms"] == {"voice_to_voice": -150.0}
    assert result["transcripts_differing"] == 2 and result["clips_split"] == 1
    table = format_table({**summarize([dict(b, outcome="completed", clip="c", run=0) for b in base], 1.0),
                          "compare": result})
    assert "with vad.x=1, paired median difference over 3 clips" in table and "-150" in table


def test_a_routed_run_reports_each_tier_s_share_and_voice_to_voice():
    def turn(v2v, backend, cold=False):
        return {"clip": "a", "run": 0, "cold": cold, "outcome": "completed", "voice_to_voice": v2v,
                "backend": backend}

    small, big = "local:qwen-0.5b (small: short question)", "local:qwen-1.5b (big: arithmetic)"
    samples = [turn(2000.0, big, cold=True), turn(700.0, small), turn(800.0, small), turn(1000.0, big),
               turn(1200.0, big), turn(1100.0, big)]
    tiers = summarize(samples, load_s=1.0)["tiers"]
    assert tiers == {"big": {"share": 0.6, "n": 3, "voice_to_voice_median": 1100.0},
                     "small": {"share": 0.4, "n": 2, "voice_to_voice_median": 750.0}}
    assert "routed to the big model: 60% of turns (3), voice to voice median 1100 ms" in \
        format_table(summarize(samples, load_s=1.0))
    assert "tiers" not in summarize([turn(700.0, "local:qwen-0.5b")], load_s=1.0)  # not routed: nothing to split
