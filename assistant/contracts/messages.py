"""Messages the core writes for people (a model's loading progress), in English, that a front-end can show in the
user's language."""

from __future__ import annotations


class Message(str):
    """The English text, as a plain ``str`` everywhere (logs, the command line), that also keeps its ``template``
    and ``values``: the desktop app translates the template (its key in the translation files) and fills in the
    values. Write templates as literals, ``Message("loading {name}", name=...)``: the translation tool finds them
    in the source."""

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, **values: object) -> Message:
        message = super().__new__(cls, template.format(**values) if values else template)
        message.template, message.values = template, values
        return message

    def __reduce__(self):  # copies and pickles keep the template
        return _rebuild, (self.template, self.values)


def _rebuild(template: str, values: dict[str, object]) -> Message:
    return Message(template, **values)
