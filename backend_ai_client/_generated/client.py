# Provisional: replaced by the generator.
from .._core import ClientCore


class Client(ClientCore):
    pass
