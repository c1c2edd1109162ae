/**
 * `torchvision.datasets`: CIFAR10, MNIST, FashionMNIST, FakeData, and `utils` (downloads).
 * @module
 */
import { CIFAR10 } from "./cifar.ts";
import { FashionMNIST, MNIST } from "./mnist.ts";
import { FakeData } from "./fakedata.ts";
import { VisionDataset } from "./vision.ts";
import {
  calculate_md5,
  check_integrity,
  download_and_extract_archive,
  download_url,
  DownloadError,
  downloadSettings,
  extract_archive,
} from "./download.ts";

export { CIFAR10, FakeData, FashionMNIST, MNIST, VisionDataset };
export type { CIFAR10Options } from "./cifar.ts";
export type { MNISTOptions } from "./mnist.ts";
export type { FakeDataOptions } from "./fakedata.ts";

/** `torchvision.datasets.utils`. */
export const utils = {
  calculate_md5,
  check_integrity,
  download_and_extract_archive,
  download_url,
  DownloadError,
  downloadSettings,
  extract_archive,
};

/** The `torchvision.datasets` namespace. */
export const datasets = { CIFAR10, FakeData, FashionMNIST, MNIST, VisionDataset, utils };
