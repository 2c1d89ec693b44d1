// tests/mock/include/cuda_runtime.h — a stand-in for the CUDA runtime's header, for the host
// emulation (tests/mock/run.sh): only what lib/dist_nccl.c calls, with the real names and values.
// The functions are in tests/mock/mock_nccl.c. A real build uses CUDA's own header.
#ifndef MOCK_CUDA_RUNTIME_H
#define MOCK_CUDA_RUNTIME_H
#ifdef __cplusplus
extern "C" {
#endif
typedef enum { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorInvalidDevice = 101 } cudaError_t;
typedef struct CUstream_st *cudaStream_t;
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int *device);
cudaError_t cudaStreamCreate(cudaStream_t *stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
const char *cudaGetErrorString(cudaError_t error);
#ifdef __cplusplus
}
#endif
#endif
