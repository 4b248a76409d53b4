"""Plain convolutional networks: the tutorial's CNN, LeNet-5 and a small VGG.

Stacks of convolution and pooling followed by dense layers, from the oldest
(LeNet-5, 1998) to the VGG pattern (2014) of repeated 3x3 convolutions, plus
the network the tutorial this project comes from builds with Keras.
"""
from __future__ import annotations

from kerasette import Model
from kerasette.layers import (Activation, AveragePooling2D, Conv2D, Dense, Dropout, Flatten, Input,
                              MaxPooling2D, UpSampling2D, ZeroPadding2D)

# the tutorial's network was written for MNIST
_TUTORIAL_SIZE = 28


def _resize_to_tutorial(x, height: int, width: int):
    """Parameter-free layers that bring a small image to 28x28, the tutorial's input size.

    The image is enlarged by the largest whole factor that fits (nearest
    neighbour, ``UpSampling2D``) and centred by zero padding, the way MNIST
    itself centres 20x20 digits in 28x28 frames: 8x8 digits become 24x24 plus a
    2-pixel border.
    """
    if height > _TUTORIAL_SIZE or width > _TUTORIAL_SIZE:
        raise ValueError(f"tutorial_cnn resizes images up to 28x28, got {height}x{width}; "
                         "pass resize=False to apply the tutorial's layers to the input as it is")
    factor = min(_TUTORIAL_SIZE // height, _TUTORIAL_SIZE // width)
    if factor > 1:
        x = UpSampling2D(size=factor, name="upsample")(x)
    pad_rows, pad_cols = _TUTORIAL_SIZE - factor * height, _TUTORIAL_SIZE - factor * width
    if pad_rows or pad_cols:
        x = ZeroPadding2D(padding=((pad_rows // 2, pad_rows - pad_rows // 2),
                                   (pad_cols // 2, pad_cols - pad_cols // 2)), name="center")(x)
    return x


def tutorial_cnn(input_shape=(8, 8, 1), num_classes: int = 10, resize: bool = True,
                 name: str = "tutorial_cnn") -> Model:
    """The tutorial's Keras CNN, layer for layer, with 28x28 inputs made from smaller images.

    Architecture::

        Input(input_shape)
        [-> UpSampling2D(k) -> ZeroPadding2D  to 28x28, when the input is smaller]
        -> Conv2D(10, 5) -> Activation(relu) -> MaxPooling2D
        -> Conv2D(20, 5) -> Activation(relu) -> MaxPooling2D
        -> Flatten -> Dense(50) -> Activation(relu)
        -> Dense(num_classes) -> Activation(softmax)

    The tutorial wrote it for 28x28 MNIST; its layers leave a 4x4 map after
    two valid 5x5 convolutions and two poolings, which an 8x8 image cannot
    give.  So with ``resize=True`` (the default) smaller inputs first pass
    through parameter-free layers that upsample them by the largest whole
    factor and centre them with zero padding (8x8 -> 24x24 -> 28x28); the
    network behind them is exactly the tutorial's, with its 21,840 parameters.
    ``resize=False`` applies the layers to the input as it is (other sizes then
    give other counts; inputs that are too small fail when the model is built).

    Parameter count: 21,840 (default arguments); 21,840 with input_shape=(28, 28, 1).

    >>> tutorial_cnn().count_params()
    21840
    """
    inputs = Input(shape=tuple(input_shape), name="image")
    x = inputs
    height, width = input_shape[0], input_shape[1]
    if resize and (height, width) != (_TUTORIAL_SIZE, _TUTORIAL_SIZE):
        x = _resize_to_tutorial(x, height, width)
    # separate Activation layers, as the tutorial writes them, so summary() reads like its listing
    x = Conv2D(10, kernel_size=5)(x)
    x = Activation("relu")(x)
    x = MaxPooling2D()(x)
    x = Conv2D(20, kernel_size=5)(x)
    x = Activation("relu")(x)
    x = MaxPooling2D()(x)
    x = Flatten()(x)
    x = Dense(50)(x)
    x = Activation("relu")(x)
    x = Dense(num_classes)(x)
    outputs = Activation("softmax", name="predictions")(x)
    return Model(inputs, outputs, name=name)


def lenet5(input_shape=(8, 8, 1), num_classes: int = 10, name: str = "lenet5") -> Model:
    """LeNet-5 (LeCun et al., 1998) with Keras layers: tanh units and average pooling.

    Architecture::

        Input(input_shape)
        -> C1 Conv2D(6, 5, same, tanh) -> S2 AveragePooling2D(2)
        -> C3 Conv2D(16, 5, valid or same, tanh) -> S4 AveragePooling2D(2)
        -> Flatten -> C5 Dense(120, tanh) -> F6 Dense(84, tanh)
        -> Dense(num_classes, softmax)

    Adaptations of the original: C1 pads 'same' (the paper fed 32x32 images,
    MNIST's 28x28 with 2 blank pixels on each side, so padding a 28x28 input
    gives the paper's 28x28x6 C1 maps); C5 is a Dense layer (on the 5x5 map it equals the paper's 5x5
    convolution); the output is a softmax instead of RBF units; C3 connects to
    all six S2 maps.  C3 is 'valid' as in the paper when S2's map is at least
    5x5, and 'same' otherwise: on 8x8 digits S2 is 4x4, too small for a valid
    5x5 convolution.  On 28x28 inputs this is the textbook Keras LeNet-5
    (61,706 parameters).

    Parameter count: 21,386 (default arguments); 61,706 with input_shape=(28, 28, 1).

    >>> lenet5().count_params()
    21386
    """
    inputs = Input(shape=tuple(input_shape), name="image")
    x = Conv2D(6, 5, padding="same", activation="tanh", name="c1")(inputs)
    x = AveragePooling2D(2, name="s2")(x)
    c3_padding = "valid" if min(x.shape[1], x.shape[2]) >= 5 else "same"
    x = Conv2D(16, 5, padding=c3_padding, activation="tanh", name="c3")(x)
    x = AveragePooling2D(2, name="s4")(x)
    x = Flatten()(x)
    x = Dense(120, activation="tanh", name="c5")(x)
    x = Dense(84, activation="tanh", name="f6")(x)
    outputs = Dense(num_classes, activation="softmax", name="predictions")(x)
    return Model(inputs, outputs, name=name)


def small_vgg(input_shape=(8, 8, 1), num_classes: int = 10, filters=(32, 64), dense_units: int = 128,
              dropout: float = 0.5, name: str = "small_vgg") -> Model:
    """A VGG-style CNN: blocks of two 3x3 'same' convolutions and a 2x2 max pooling.

    Architecture (defaults)::

        Input(input_shape)
        -> Conv2D(32, 3, same, relu) -> Conv2D(32, 3, same, relu) -> MaxPooling2D   block 1
        -> Conv2D(64, 3, same, relu) -> Conv2D(64, 3, same, relu) -> MaxPooling2D   block 2
        -> Flatten -> Dense(128, relu) -> Dropout(0.5)
        -> Dense(num_classes, softmax)

    One block per entry of ``filters``; each halves the resolution, so an
    input needs at least 2**len(filters) pixels a side (8x8 digits end at 2x2,
    28x28 images at 7x7, hence the larger count there: the Flatten is wider).

    Parameter count: 99,178 (default arguments); 467,818 with input_shape=(28, 28, 1).

    >>> small_vgg().count_params()
    99178
    """
    inputs = Input(shape=tuple(input_shape), name="image")
    x = inputs
    for block, block_filters in enumerate(filters, start=1):
        x = Conv2D(block_filters, 3, padding="same", activation="relu", name=f"block{block}_conv1")(x)
        x = Conv2D(block_filters, 3, padding="same", activation="relu", name=f"block{block}_conv2")(x)
        x = MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = Flatten(name="flatten")(x)
    x = Dense(dense_units, activation="relu", name="fc")(x)
    if dropout:
        x = Dropout(dropout, name="dropout")(x)
    outputs = Dense(num_classes, activation="softmax", name="predictions")(x)
    return Model(inputs, outputs, name=name)
