"""What the assistant can do besides talk: one module per tool family, the toolbox that holds them, the intent
matcher that answers common requests without the language model, and the parsing of the model's own tool calls.

- ``toolbox``: the tools, the ones offered to the model for a question, checking and running a call.
- ``intents``: spoken requests matched to a tool call in a few milliseconds ("what time is it", "set a timer").
- ``model_calls``: a model's tool call in its reply (``<tool_call>{json}</tool_call>``), parsed strictly.
- families: ``clock``, ``maths``, ``units``, ``timers``, ``desktop`` (apps, files, links, the clipboard),
  ``mcp_servers`` (any MCP server the user added).
"""
