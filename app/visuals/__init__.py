"""Pure-NumPy visual computations for the live stream and the producer that encodes them as frames.

`plane` covers 2D and 1D sets (boundary, neuron thumbnails, hidden space), `images` the image sets
(activations and their gradients, filters, predictions, confusion matrix), `producer` turns them into
`app.frames` frames.
"""

from app.visuals.images import (
    confusion_matrix,
    conv_filters,
    display_image,
    layer_gradients,
    top_predictions,
)
from app.visuals.plane import (
    boundary,
    check_hidden_view,
    default_hidden_view,
    hidden_space,
    net_inputs,
    neuron_grids,
    neuron_layers,
    plane_grid,
)
from app.visuals.producer import VisualProducer, VisualView, unpack_weights

__all__ = [
    "VisualProducer",
    "VisualView",
    "boundary",
    "check_hidden_view",
    "confusion_matrix",
    "conv_filters",
    "default_hidden_view",
    "display_image",
    "hidden_space",
    "layer_gradients",
    "net_inputs",
    "neuron_grids",
    "neuron_layers",
    "plane_grid",
    "top_predictions",
    "unpack_weights",
]
