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
