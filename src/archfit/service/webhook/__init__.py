"""The admission webhook: pure brain (`brain`), server (`app`, `server`), cluster view, images."""
