"""What the transformers backends (the chat LLM and the VLM) share: the dtype for a device, and streaming
``generate()`` on a worker thread with cancellation, a first-token timeout and its failures surfaced."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent import futures
from concurrent.futures import Executor

from assistant.contracts.errors import ModelError
from assistant.contracts.turns import CancelToken

_MAX_HOLD_S = 1.0  # the longest a turn's generation waits for its first spoken piece's synthesis


def choose_dtype(torch, device: str, preference: str):
    """float32 on the CPU (fastest there), bfloat16 or float16 on CUDA, float16 on Apple's GPU."""
    if preference != "auto":
        return getattr(torch, preference)
    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def sampling_kwargs(temperature: float, repetition_penalty: float = 1.0, prompt_tokens: int = 0) -> dict:
    """generate() arguments for ``temperature`` (0: greedy) and a repetition penalty on the reply's own tokens."""
    kwargs: dict = {"do_sample": True, "temperature": temperature} if temperature > 0 else \
        {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}  # greedy: clear the model's knobs
    if repetition_penalty != 1.0:
        # A small model decoding greedily falls into loops ("a tale of the dragon, a tale of the dragon, ..."),
        # which are then spoken aloud. The penalty counts the reply's tokens only: an answer must be free to
        # repeat the prompt's (a button label on the screen, the user's name).
        from transformers import LogitsProcessorList, RepetitionPenaltyLogitsProcessor

        kwargs["logits_processor"] = LogitsProcessorList([
            RepetitionPenaltyLogitsProcessor(float(repetition_penalty), prompt_ignore_length=prompt_tokens)])
    return kwargs


def token_streamer(tokenizer, timeout: float | None, reply_tokens: Sequence[int] = ()):
    """A TextIteratorStreamer that hands each token's text on as soon as it is decoded.

    transformers' own holds punctuation back until the next word begins (it may open formatting), so every
    sentence end, and with it the first spoken piece, waits one more token: about 50 ms on a small CPU. Here
    only an incomplete UTF-8 character waits. ``reply_tokens`` end the prompt but are the reply's first tokens
    (decoded ahead of generate()): they are handed on with the prompt's end."""
    from transformers import TextIteratorStreamer

    class TokenStreamer(TextIteratorStreamer):
        def put(self, value) -> None:
            if len(value.shape) > 1:
                value = value[0]
            if self.skip_prompt and self.next_tokens_are_prompt:
                self.next_tokens_are_prompt = False
                value = value[len(value) - len(reply_tokens):] if reply_tokens else value[:0]
            self.token_cache.extend(value.tolist())
            text = self.tokenizer.decode(self.token_cache, **self.decode_kwargs)
            if text.endswith("\ufffd"):
                return
            new, self.print_len = text[self.print_len:], len(text)
            if new:
                self.on_finalized_text(new)

    return TokenStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=timeout)


def stream_generate(model, tokenizer, inputs: dict, generation_kwargs: dict, *, cancel: CancelToken,
                    first_token_timeout_s: float, what: str, fix: str,
                    executor: Executor | None = None, reply_tokens: Sequence[int] = ()) -> Iterator[str]:
    """Yield text as ``model.generate`` produces it. Stops within one token of ``cancel`` (or of the consumer
    closing the iterator), and waits between tokens while ``cancel`` is held; a failure inside generate() is
    raised here as a ModelError, never swallowed. ``what`` names the model in messages ("the language model");
    ``fix`` says what to try when it runs out of memory. generate() runs on ``executor`` (one long-lived thread,
    which CUDA graphs need: torch records them per thread) or else on a new thread. ``reply_tokens``: the last
    input tokens, already the reply's."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    stop = threading.Event()

    class _Stop(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):  # after each token, before the next step
            cancel.wait_released(_MAX_HOLD_S)  # the turn's first spoken piece is being synthesized
            flag = stop.is_set() or cancel.cancelled
            return torch.full((input_ids.shape[0],), flag, dtype=torch.bool, device=input_ids.device)

    streamer = token_streamer(tokenizer, timeout=first_token_timeout_s, reply_tokens=reply_tokens)
    failure: list[BaseException] = []

    def generate() -> None:
        try:
            with torch.inference_mode():
                model.generate(**inputs, streamer=streamer, stopping_criteria=StoppingCriteriaList([_Stop()]),
                               **generation_kwargs)
        except BaseException as exc:  # surfaced to the consumer below
            failure.append(exc)
            streamer.end()

    if executor is not None:
        done = executor.submit(generate)
        join = lambda: futures.wait([done], timeout=30)  # noqa: E731
    else:
        worker = threading.Thread(target=generate, name="generate", daemon=True)
        worker.start()
        join = lambda: worker.join(timeout=30)  # noqa: E731
    try:
        for text in streamer:
            if cancel.cancelled:
                break
            if text:
                yield text
    except queue.Empty:
        raise ModelError("llm-timeout", f"{what} produced nothing for {first_token_timeout_s:.0f} s; the machine "
                         "may be overloaded. Try a smaller model, or raise llm.first_token_timeout_s.") from None
    finally:
        stop.set()
        join()
    if failure:
        exc = failure[0]
        if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():
            raise ModelError("llm-out-of-memory", f"{what} ran out of memory: {exc}. {fix}") from exc
        raise ModelError("llm-failed", f"{what} failed: {exc}") from exc
