"""Image classification models with pretrained weights, as ``torchvision.models``::

    from autograd_lite.vision import models
    model = models.densenet121(weights="DEFAULT")        # or pretrained=True (deprecated), or weights=None
    preprocess = models.DenseNet121_Weights.DEFAULT.transforms()
    models.list_models(include="resnet*"), models.get_model("resnet18", num_classes=10)

Architectures, module names, state_dict keys, init and reprs are torchvision's, so its published weights load
(``weights=`` downloads them once through ``autograd_lite.hub``) and a state_dict moves between the two libraries.
"""
from ._api import Weights, WeightsEnum, get_model, get_model_builder, get_model_weights, get_weight, list_models
from .alexnet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
