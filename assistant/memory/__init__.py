"""What the assistant remembers across sessions: facts the user told it (``store``), found by words and by meaning
(``embeddings``, sqlite-vec), put into the prompts they matter to and recalled with past conversations
(``service``); secrets are never kept (``sensitive``). The tools that remember, recall and forget are in
``assistant.tools.memory``."""
