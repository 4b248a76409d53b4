"""The tutorial's Keras functional model and its summary(), with only the imports changed.

Original (TensorFlow 1.x):
    from tensorflow.python.keras.layers import Input, Conv2D, Activation, MaxPooling2D, Dense, Flatten
    tf.keras.Model(input, x).summary()
"""
import kerasette as tf
from kerasette.layers import Input, Conv2D, Activation, MaxPooling2D, Dense, Flatten

input = Input(shape=(28, 28, 1))
x = Conv2D(10, kernel_size=5)(input)
x = Activation('relu')(x)
x = MaxPooling2D()(x)
x = Conv2D(20, kernel_size=5)(x)
x = Activation('relu')(x)
x = MaxPooling2D()(x)
x = Flatten()(x)
x = Dense(50)(x)
x = Activation('relu')(x)
x = Dense(10)(x)
x = Activation('softmax')(x)

tf.keras.Model(input, x).summary()
