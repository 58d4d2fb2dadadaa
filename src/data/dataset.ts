// The in-memory shape of a labelled classification dataset, shared by every loader
// (IDX directories, the bundled MNIST digits) and by the batcher.
//
// A Split is plain typed arrays, with no engine types, so data code runs (and is tested)
// without a GPU and the same arrays can be uploaded to any backend. Images are stored
// row-major as [count, features], already scaled to [0, 1], because that is what
// a dense network's first layer consumes.

/** One part (train or test) of a dataset. */
export interface Split {
  /** Row-major [count, features] pixel values in [0, 1]. */
  images: Float32Array;
  /** Class index in [0, classes) for each example. */
  labels: Int32Array;
  /** Number of examples. */
  count: number;
  /** Values per example (rows * cols for images). */
  features: number;
  /** Number of classes; labels are in [0, classes). */
  classes: number;
}

/** A named dataset with its fixed train/test split. */
export interface Dataset<Name extends string = string> {
  /** The dataset's name, e.g. 'mnist'. */
  name: Name;
  /** The examples to train on. */
  train: Split;
  /** The held-out examples accuracy is reported on. */
  test: Split;
}

/**
 * Builds a Split and checks that the arrays agree with each other, so a mistake in a
 * loader fails here with a clear message instead of as a silent shape bug later.
 */
export function makeSplit(
  images: Float32Array,
  labels: Int32Array,
  features: number,
  classes: number,
): Split {
  if (!Number.isInteger(features) || features <= 0) {
    throw new Error(`makeSplit: features must be a positive integer, got ${features}`);
  }
  if (!Number.isInteger(classes) || classes <= 0) {
    throw new Error(`makeSplit: classes must be a positive integer, got ${classes}`);
  }
  const count = labels.length;
  if (images.length !== count * features) {
    throw new Error(
      `makeSplit: ${count} labels x ${features} features needs ${count * features} image values, got ${images.length}`,
    );
  }
  for (let i = 0; i < count; i++) {
    const y = labels[i];
    if (y < 0 || y >= classes) {
      throw new Error(`makeSplit: label ${y} at index ${i} is outside [0, ${classes})`);
    }
  }
  return { images, labels, count, features, classes };
}
