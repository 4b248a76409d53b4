"""``text_dataset_from_directory`` and ``audio_dataset_from_directory``.

Keras 3's arguments, file order, shuffle and split (``data.directory``).
Texts come as arrays of Python strings (what ``TextVectorization`` takes),
cut to ``max_length`` bytes when asked, as Keras cuts them. WAV files are read by
``scipy.io.wavfile`` and scaled to [-1, 1) as ``tf.audio.decode_wav`` does
(16-bit: / 32768), shaped ``(samples, channels)``; a batch is padded with
zeros to its longest clip, or every clip cut/padded to
``output_sequence_length``. ``sampling_rate`` resamples with
``scipy.signal.resample_poly`` (Keras needs tensorflow-io for it).
"""
from __future__ import annotations

import math

import numpy

from .dataset import FileDataset
from .directory import check_label_args, check_validation_split_arg, index_directory, training_or_validation_split

__all__ = ["text_dataset_from_directory", "audio_dataset_from_directory", "read_wav"]

TEXT_FORMATS = (".txt",)
AUDIO_FORMATS = (".wav",)


class _TextLoader:
    def __init__(self, max_length):
        self.max_length = max_length

    def __call__(self, path):
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
            if self.max_length is None:
                return raw.decode("utf-8")
            # Keras cuts bytes (tf.strings.substr); a character cut in two is dropped
            return raw[:self.max_length].decode("utf-8", errors="ignore")
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"Cannot read the text file {path!r}: {error}") from None


def _stack_strings(texts):
    array = numpy.empty(len(texts), dtype=object)
    array[:] = texts
    return array


def _splits(paths, labels, validation_split, subset, directory, kind, formats, make, shuffle, verbose):
    if subset == "both":
        train = training_or_validation_split(paths, labels, validation_split, "training", verbose)
        val = training_or_validation_split(paths, labels, validation_split, "validation", verbose)
        if not train[0]:
            raise ValueError(f"No training {kind} found in directory {directory}. Allowed format(s): {formats}")
        if not val[0]:
            raise ValueError(f"No validation {kind} found in directory {directory}. Allowed format(s): {formats}")
        return [make(*train, shuffle), make(*val, False)]
    paths, labels = training_or_validation_split(paths, labels, validation_split, subset, verbose)
    if not paths:
        raise ValueError(f"No {kind} found in directory {directory}. Allowed format(s): {formats}")
    return make(paths, labels, shuffle)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True, workers=1,
                                use_multiprocessing=False, max_queue_size=10):
    """Batches ``(texts, labels)`` from ``directory/<class name>/<.txt files>``.

    >>> # train = text_dataset_from_directory("aclImdb/train", batch_size=32, validation_split=0.2,
    >>> #                                     subset="training", seed=1337)
    """
    check_label_args(labels, label_mode, class_names)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = numpy.random.randint(1e6)
    paths, found, class_names = index_directory(directory, labels, TEXT_FORMATS, class_names=class_names,
                                                shuffle=shuffle, seed=seed, follow_links=follow_links,
                                                verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 class_names. '
                         f"Received: class_names={class_names}")

    def make(subset_paths, subset_labels, shuffled):
        return FileDataset(subset_paths, _TextLoader(max_length), labels=subset_labels, label_mode=label_mode,
                           num_classes=len(class_names) if class_names else 0, batch_size=batch_size,
                           shuffle=shuffled, seed=seed, stack=_stack_strings, class_names=class_names,
                           workers=workers, use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)

    return _splits(paths, found, validation_split, subset, directory, "text files", TEXT_FORMATS, make, shuffle,
                   verbose)


def read_wav(path, sampling_rate=None, output_sequence_length=None) -> numpy.ndarray:
    """A WAV file as float32 ``(samples, channels)`` in [-1, 1)."""
    from scipy.io import wavfile
    try:
        rate, data = wavfile.read(path)
    except (OSError, ValueError) as error:
        raise ValueError(f"Cannot read the WAV file {path!r}: {error}") from None
    if data.dtype == numpy.uint8:
        audio = (data.astype("float32") - 128.0) / 128.0
    elif numpy.issubdtype(data.dtype, numpy.integer):
        audio = data.astype("float32") / float(2 ** (8 * data.dtype.itemsize - 1))
    else:
        audio = data.astype("float32")
    if audio.ndim == 1:
        audio = audio[:, None]
    if sampling_rate is not None and rate != sampling_rate:
        from scipy.signal import resample_poly
        divisor = math.gcd(int(rate), int(sampling_rate))
        audio = resample_poly(audio, sampling_rate // divisor, rate // divisor, axis=0).astype("float32")
    if output_sequence_length is not None:
        if len(audio) >= output_sequence_length:
            audio = audio[:output_sequence_length]
        else:
            audio = numpy.concatenate([audio, numpy.zeros((output_sequence_length - len(audio),) + audio.shape[1:],
                                                          "float32")])
    return audio


class _AudioLoader:
    def __init__(self, sampling_rate, output_sequence_length):
        self.sampling_rate, self.output_sequence_length = sampling_rate, output_sequence_length

    def __call__(self, path):
        return read_wav(path, self.sampling_rate, self.output_sequence_length)


def _pad_stack(clips):
    """Clips padded with zeros to the longest (``padded_batch``)."""
    longest = max(len(clip) for clip in clips)
    channels = max(clip.shape[1] for clip in clips)
    batch = numpy.zeros((len(clips), longest, channels), "float32")
    for row, clip in enumerate(clips):
        batch[row, :len(clip), :clip.shape[1]] = clip
    return batch


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                 sampling_rate=None, output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None, follow_links=False, verbose=True,
                                 workers=1, use_multiprocessing=False, max_queue_size=10):
    """Batches ``(audio, labels)`` from ``directory/<class name>/<.wav files>``; audio
    is ``(batch, samples, channels)`` float32."""
    check_label_args(labels, label_mode, class_names)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if ragged:
        raise NotImplementedError("ragged=True: kerasette has no ragged tensors; use output_sequence_length, or "
                                  "ragged=False to pad each batch to its longest clip")
    if sampling_rate is not None:
        if isinstance(sampling_rate, bool) or not isinstance(sampling_rate, int):
            raise ValueError(f"`sampling_rate` should have an integer value. Received: sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError(f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}")
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = numpy.random.randint(1e6)
    paths, found, class_names = index_directory(directory, labels, AUDIO_FORMATS, class_names=class_names,
                                                shuffle=shuffle, seed=seed, follow_links=follow_links,
                                                verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 class_names. '
                         f"Received: class_names={class_names}")
    loader = _AudioLoader(sampling_rate, output_sequence_length)

    def make(subset_paths, subset_labels, shuffled):
        return FileDataset(subset_paths, loader, labels=subset_labels, label_mode=label_mode,
                           num_classes=len(class_names) if class_names else 0, batch_size=batch_size,
                           shuffle=shuffled, seed=seed, stack=_pad_stack, class_names=class_names,
                           workers=workers, use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)

    return _splits(paths, found, validation_split, subset, directory, "audio files", AUDIO_FORMATS, make, shuffle,
                   verbose)
