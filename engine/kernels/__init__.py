"""Pure array functions for every layer: ``*_forward`` returns the output and a cache, ``*_backward``
takes the upstream gradient and that cache and returns gradients. None of them touches weights, so each
can be gradient-checked alone."""
