/**
 * `torchvision`: `datasets`, `transforms`, `utils` (make_grid, save_image, imshow), `models`, and
 * `Image`, the stand-in for PIL images that datasets yield before `transforms.ToTensor()`.
 *
 * @example Lesson 3's loading code
 * ```ts ignore
 * import { iter, next, torch } from "../../mod.ts";
 * import { torchvision } from "./mod.ts";
 * const transforms = torchvision.transforms;
 * const transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])]);
 * const trainset = torchvision.datasets.CIFAR10("./data", { train: true, download: true, transform });
 * const trainloader = torch.utils.data.DataLoader(trainset, { batch_size: 4, shuffle: true });
 * const [images, labels] = next(iter(trainloader));
 * torchvision.utils.imshow(torchvision.utils.make_grid(images).div(2).add(0.5));
 * ```
 * @module
 */
import { datasets } from "./datasets/mod.ts";
import * as T from "./transforms.ts";
import { imshow, make_grid, save_image, utils } from "./utils.ts";
import { Image } from "./image.ts";
import { models } from "./models/models.ts";

/** The `torchvision.transforms` namespace. */
export const transforms = {
  CenterCrop: T.CenterCrop,
  Compose: T.Compose,
  InterpolationMode: T.InterpolationMode,
  Lambda: T.Lambda,
  Normalize: T.Normalize,
  Pad: T.Pad,
  RandomCrop: T.RandomCrop,
  RandomHorizontalFlip: T.RandomHorizontalFlip,
  RandomResizedCrop: T.RandomResizedCrop,
  RandomVerticalFlip: T.RandomVerticalFlip,
  Resize: T.Resize,
  ToPILImage: T.ToPILImage,
  ToTensor: T.ToTensor,
  functional: T.functional,
};

/** The `torchvision` namespace. */
export const torchvision = { datasets, transforms, utils, models, Image };

export { datasets, Image, imshow, make_grid, models, save_image, utils };
