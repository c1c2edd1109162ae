/**
 * The CIFAR-10 network of PyTorch's tutorial (lesson 3), as a user translates it: the
 * benchmarks' LeNet (bench/main.ts on the cpu, bench/webgpu/bench.ts on webgpu).
 * @module
 */
import { F, nn, type Tensor, torch } from "../mod.ts";

/** LeNet for 3×32×32 images. */
export class Net extends nn.Module {
  conv1 = nn.Conv2d(3, 6, 5);
  pool = nn.MaxPool2d(2, 2);
  conv2 = nn.Conv2d(6, 16, 5);
  fc1 = nn.Linear(16 * 5 * 5, 120);
  fc2 = nn.Linear(120, 84);
  fc3 = nn.Linear(84, 10);
  override forward(x: Tensor): Tensor {
    x = this.pool(F.relu(this.conv1(x)));
    x = this.pool(F.relu(this.conv2(x)));
    x = torch.flatten(x, 1);
    x = F.relu(this.fc1(x));
    x = F.relu(this.fc2(x));
    return this.fc3(x);
  }
}
