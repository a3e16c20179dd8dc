from assistant.bench import format_table, percentile, summarize


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
