package io.gleaner.broker.placement;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/**
 * The GPU pod shapes recently asked for: a bounded histogram whose older observations weigh less
 * (each weight halves every {@code halfLife} observations). A shape is how many devices a pod
 * takes, how much of each (milli-GPU: its share, or 1000 for whole devices), and its cpu and
 * memory. The shapes are kept sorted by the amount per device, so {@link GpuFragmentation} measures
 * a node against all of them in one pass over its sorted devices. When the histogram is full, a new
 * shape replaces the one of least weight. A pod is counted once while it is among the last {@code
 * capacity * 16} pods counted (a pod decided again after a refusal asks once). Not thread-safe.
 */
final class GpuShapeMix {
  static final int DEFAULT_CAPACITY = 64;
  static final int DEFAULT_HALF_LIFE = 1000;

  /** Above it, every weight is scaled down (weights only ever matter relative to each other). */
  private static final double RESCALE_ABOVE = 1e200;

  private final int capacity;
  private final double growth;

  /** Number of shapes; the first {@code size} entries of each array are valid. */
  int size;

  /** Devices the shape takes (1 for a share). */
  final int[] devices;

  /** Milli-GPU the shape takes of each device; ascending over the valid entries. */
  final int[] perDevice;

  final long[] cpu;
  final long[] mem;
  final double[] weight;

  /** Σ weight. */
  double total;

  /** The weight the next observation adds (it grows instead of every older weight decaying). */
  private double increment = 1;

  private final ArrayDeque<String> recent = new ArrayDeque<>();
  private final Set<String> recentSet = new HashSet<>();
  private final int recentLimit;

  GpuShapeMix() {
    this(DEFAULT_CAPACITY, DEFAULT_HALF_LIFE);
  }

  /**
   * @param capacity the most distinct shapes kept
   * @param halfLife observations after which an observation weighs half as much as a new one
   */
  GpuShapeMix(int capacity, int halfLife) {
    if (capacity < 1 || halfLife < 1) {
      throw new IllegalArgumentException("capacity and halfLife must be at least 1");
    }
    this.capacity = capacity;
    this.growth = Math.pow(2, 1.0 / halfLife);
    this.devices = new int[capacity];
    this.perDevice = new int[capacity];
    this.cpu = new long[capacity];
    this.mem = new long[capacity];
    this.weight = new double[capacity];
    this.recentLimit = capacity * 16;
  }

  /**
   * Counts pod {@code uid} asking for {@code devices} devices of {@code perDevice} milli-GPU each,
   * with {@code cpu} millicores and {@code mem} bytes. False when the pod was counted recently (and
   * nothing changes).
   */
  boolean observe(String uid, int devices, int perDevice, long cpu, long mem) {
    if (devices < 1 || perDevice < 1) {
      throw new IllegalArgumentException("a GPU shape takes at least one device and some of it");
    }
    if (!recentSet.add(uid)) {
      return false;
    }
    recent.addLast(uid);
    if (recent.size() > recentLimit) {
      recentSet.remove(recent.removeFirst());
    }
    int i = find(devices, perDevice, cpu, mem);
    if (i < 0) {
      if (size == capacity) {
        remove(lightest());
      }
      i = insert(devices, perDevice, cpu, mem);
    }
    weight[i] += increment;
    total += increment;
    increment *= growth;
    if (increment > RESCALE_ABOVE) {
      rescale();
    }
    return true;
  }

  /** The share of shape {@code i} in the mix (its weight over the total). */
  double share(int i) {
    return weight[i] / total;
  }

  private int find(int devices, int perDevice, long cpu, long mem) {
    for (int i = 0; i < size; i++) {
      if (this.perDevice[i] == perDevice
          && this.devices[i] == devices
          && this.cpu[i] == cpu
          && this.mem[i] == mem) {
        return i;
      }
    }
    return -1;
  }

  private int lightest() {
    int min = 0;
    for (int i = 1; i < size; i++) {
      if (weight[i] < weight[min]) {
        min = i;
      }
    }
    return min;
  }

  private void remove(int i) {
    total -= weight[i];
    int tail = size - i - 1;
    System.arraycopy(devices, i + 1, devices, i, tail);
    System.arraycopy(perDevice, i + 1, perDevice, i, tail);
    System.arraycopy(cpu, i + 1, cpu, i, tail);
    System.arraycopy(mem, i + 1, mem, i, tail);
    System.arraycopy(weight, i + 1, weight, i, tail);
    size--;
  }

  private int insert(int devices, int perDevice, long cpu, long mem) {
    int i = size;
    while (i > 0 && this.perDevice[i - 1] > perDevice) {
      i--;
    }
    int tail = size - i;
    System.arraycopy(this.devices, i, this.devices, i + 1, tail);
    System.arraycopy(this.perDevice, i, this.perDevice, i + 1, tail);
    System.arraycopy(this.cpu, i, this.cpu, i + 1, tail);
    System.arraycopy(this.mem, i, this.mem, i + 1, tail);
    System.arraycopy(weight, i, weight, i + 1, tail);
    this.devices[i] = devices;
    this.perDevice[i] = perDevice;
    this.cpu[i] = cpu;
    this.mem[i] = mem;
    weight[i] = 0;
    size++;
    return i;
  }

  private void rescale() {
    double f = 1 / increment;
    total = 0;
    for (int i = 0; i < size; i++) {
      weight[i] *= f;
      total += weight[i];
    }
    increment = 1;
  }
}
